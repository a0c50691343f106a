#include "app/daemon_control.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "core/write_all.h"
#include "store/daemon_lock.h"

namespace sgeventd::app {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using core::UniqueFd;
using core::writeAll;

std::string errnoText(int err) { return std::strerror(err); }

std::string readSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Running and not a zombie: a zombie still answers kill(pid, 0) until its parent reaps it.
bool processRunning(pid_t pid) {
  if (pid <= 0) {
    return false;
  }
  if (::kill(pid, 0) != 0 && errno == ESRCH) {
    return false;
  }
  const std::string stat = readSmallFile("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close != std::string::npos && close + 2 < stat.size()) {
    const char state = stat[close + 2];
    return state != 'Z' && state != 'X';
  }
  return true;  // no /proc: trust kill()
}

std::string quotedContent(std::string s) {
  if (s.size() > 40) {
    s = s.substr(0, 40) + "...";
  }
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\0') {
      c = ' ';
    }
  }
  return "\"" + s + "\"";
}

}  // namespace

Expected<pid_t> readPid(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return fail("cannot read pid file " + path + ": " + errnoText(err), err);
  }
  char buffer[64];
  ssize_t n = 0;
  do {
    n = ::read(fd.get(), buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    return fail("cannot read pid file " + path + ": " + errnoText(err), err);
  }
  const std::string content(buffer, static_cast<std::size_t>(n));
  std::size_t begin = content.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    return fail("pid file " + path + " is empty");
  }
  std::size_t end = content.find_last_not_of(" \t\r\n") + 1;
  const std::string text = content.substr(begin, end - begin);
  long value = 0;
  bool digits = !text.empty() && text.size() <= 10;
  for (char c : text) {
    digits = digits && c >= '0' && c <= '9';
  }
  if (digits) {
    value = std::stol(text);
  }
  if (!digits || value <= 0 || value > 0x7fffffffL) {
    return fail("pid file " + path + " does not hold a process id: " + quotedContent(text));
  }
  return static_cast<pid_t>(value);
}

bool isLiveSgeventd(pid_t pid) {
  if (pid <= 0 || pid == ::getpid() || !processRunning(pid)) {
    return false;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  if (!in) {
    return true;  // cannot tell (no /proc): assume it is ours rather than start a second daemon
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str().find("sgeventd") != std::string::npos;
}

Expected<PidFile> PidFile::acquire(const std::string& path,
                                   const std::function<void(std::string_view)>& log) {
  const pid_t self = ::getpid();
  const std::string content = std::to_string(self) + "\n";
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
  }
  const std::string temp = path + ".tmp." + std::to_string(self);
  for (int attempt = 0; attempt < 5; ++attempt) {
    {
      UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      int err = fd.valid() ? 0 : errno;
      if (fd.valid()) {
        if (auto written = writeAll(fd.get(), content); !written) {
          err = written.error().code;
        }
      }
      if (err != 0) {
        ::unlink(temp.c_str());
        return fail("cannot write pid file " + path + ": " + errnoText(err), err);
      }
    }
    // link() fails if the name exists, so two starters cannot both win, and the file appears complete.
    const int linked = ::link(temp.c_str(), path.c_str());
    const int err = errno;
    ::unlink(temp.c_str());
    if (linked == 0) {
      return PidFile(path, self);
    }
    if (err != EEXIST) {
      return fail("cannot create pid file " + path + ": " + errnoText(err), err);
    }
    auto existing = readPid(path);
    if (!existing && existing.error().code == ENOENT) {
      continue;  // removed meanwhile
    }
    if (existing && isLiveSgeventd(*existing)) {
      return fail("sgeventd is already running (pid " + std::to_string(*existing) + ", pid file " + path +
                  ")");
    }
    if (log) {
      log(existing ? "removing stale pid file " + path + " (pid " + std::to_string(*existing) +
                         " is not a running sgeventd)"
                   : "removing unusable pid file " + path + " (" + existing.error().message + ")");
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      const int unlinkErr = errno;
      return fail("cannot remove stale pid file " + path + ": " + errnoText(unlinkErr), unlinkErr);
    }
  }
  return fail("cannot create pid file " + path + ": it keeps reappearing (another sgeventd starting?)");
}

PidFile::PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)), pid_(other.pid_) {
  other.path_.clear();
}

PidFile& PidFile::operator=(PidFile&& other) noexcept {
  if (this != &other) {
    PidFile old(std::move(*this));
    path_ = std::move(other.path_);
    pid_ = other.pid_;
    other.path_.clear();
  }
  return *this;
}

PidFile::~PidFile() {
  if (path_.empty()) {
    return;
  }
  auto current = readPid(path_);
  if (current && *current == pid_) {
    ::unlink(path_.c_str());
  }
}

void ReadinessReporter::send(std::string_view line) {
  if (!fd_.valid()) {
    return;
  }
  // A failed write needs no handling: the foreground process sees EOF without a report and says the
  // start failed, which is the truth it can know.
  (void)writeAll(fd_.get(), line);
  fd_.reset();
}

void ReadinessReporter::ready() { send("OK\n"); }

void ReadinessReporter::failed(std::string_view message) {
  std::string line = "ERR ";
  for (char c : message) {
    line += c == '\n' ? ' ' : c;
  }
  send(line + "\n");
}

namespace {

// The foreground side of daemonize(): wait for the daemon's report, then leave without running any
// destructor or atexit handler of the state the daemon now owns.
[[noreturn]] void waitForReportAndExit(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string received;
  bool eof = false;
  while (received.find('\n') == std::string::npos && !eof) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      std::fprintf(stderr,
                   "sgeventd did not report start-up within %lld s; it may still be starting (see its log)\n",
                   static_cast<long long>(timeout.count() / 1000));
      ::_exit(1);
    }
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (r < 0 && errno != EINTR) {
      break;
    }
    if (r > 0) {
      char buffer[512];
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n > 0) {
        received.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        eof = true;
      }
    }
  }
  if (received.rfind("OK", 0) == 0) {
    ::_exit(0);
  }
  if (received.rfind("ERR ", 0) == 0) {
    const std::string message = received.substr(4, received.find('\n') - 4);
    std::fprintf(stderr, "sgeventd failed to start: %s\n", message.c_str());
  } else {
    std::fprintf(stderr, "sgeventd exited during start-up (see its log)\n");
  }
  ::_exit(1);
}

}  // namespace

Expected<ReadinessReporter> daemonize(const DaemonizeOptions& options) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    const int err = errno;
    return fail("cannot create the start-up pipe: " + errnoText(err), err);
  }
  std::fflush(nullptr);
  const pid_t first = ::fork();
  if (first < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return fail("cannot fork: " + errnoText(err), err);
  }
  if (first > 0) {
    ::close(fds[1]);
    int status = 0;
    while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
    }
    waitForReportAndExit(fds[0], options.readyTimeout);
  }
  ::close(fds[0]);
  ::setsid();  // no controlling terminal: a closed ssh session does not hang the daemon up
  const pid_t second = ::fork();
  if (second < 0) {
    const int err = errno;
    ReadinessReporter(fds[1]).failed("cannot fork: " + errnoText(err));
    ::_exit(1);
  }
  if (second > 0) {
    ::_exit(0);  // the session leader leaves, so the daemon can never acquire a terminal again
  }
  if (::chdir("/") != 0) {
    // "/" always exists; nothing sensible to do otherwise
  }
  ::umask(options.umask);
  const int devNull = ::open("/dev/null", O_RDWR);
  if (devNull >= 0) {
    ::dup2(devNull, STDIN_FILENO);
    ::dup2(devNull, STDOUT_FILENO);
    ::dup2(devNull, STDERR_FILENO);
    if (devNull > STDERR_FILENO) {
      ::close(devNull);
    }
  }
  return ReadinessReporter(fds[1]);
}

Expected<StopResult> stopDaemon(const std::string& pidFile, const std::string& stateDatabase,
                                std::chrono::milliseconds timeout, bool killAtDeadline) {
  std::error_code ec;
  if (!fs::exists(pidFile, ec)) {
    return StopResult{StopResult::Outcome::NotRunning,
                      "pid file " + pidFile + " does not exist. Daemon not running?"};
  }
  auto pid = readPid(pidFile);
  if (!pid || !isLiveSgeventd(*pid)) {
    const std::string why =
        pid ? "pid " + std::to_string(*pid) + " is not a running sgeventd" : pid.error().message;
    if (::unlink(pidFile.c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      return fail("cannot remove stale pid file " + pidFile + ": " + errnoText(err), err);
    }
    return StopResult{StopResult::Outcome::StaleRemoved,
                      "removed stale pid file " + pidFile + " (" + why + ")"};
  }
  // A command line that mentions "sgeventd" proves nothing (any process can name itself so, and a pid
  // file outlives its daemon while pids are reused): signal only the process that holds the lock of this
  // config's state database, which only its daemon can hold. The pid file is kept, since it may belong
  // to a daemon still starting (it writes its pid file before it opens the state).
  auto holder = store::lockHolder(stateDatabase);
  if (!holder) {
    return fail("cannot check that pid " + std::to_string(*pid) + " is the daemon of state database " +
                stateDatabase + " (" + holder.error().message + "); not signalling it");
  }
  if (*holder != std::optional<pid_t>(*pid)) {
    return fail("pid file " + pidFile + " names pid " + std::to_string(*pid) +
                ", which does not hold the lock of state database " + stateDatabase + " (" +
                (*holder ? "pid " + std::to_string(**holder) + " does" : std::string("no daemon holds it")) +
                "): not signalling it; it is not this config's daemon, or it is still starting");
  }
  // One SIGTERM is enough: sgeventd's handler starts an orderly shutdown (the original repeated it).
  if (::kill(*pid, SIGTERM) != 0 && errno != ESRCH) {
    const int err = errno;
    return fail("cannot signal sgeventd (pid " + std::to_string(*pid) + "): " + errnoText(err), err);
  }
  auto waitGone = [&](std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (processRunning(*pid)) {
      if (Clock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  };
  if (!waitGone(timeout)) {
    if (!killAtDeadline) {
      return fail("sgeventd (pid " + std::to_string(*pid) + ") is still running " +
                  std::to_string(timeout.count()) +
                  " ms after SIGTERM (a callback may still be finishing); run stop again to keep waiting");
    }
    ::kill(*pid, SIGKILL);
    if (!waitGone(std::chrono::seconds(5))) {
      return fail("sgeventd (pid " + std::to_string(*pid) + ") survived SIGKILL");
    }
  }
  if (auto still = readPid(pidFile); still && *still == *pid) {
    ::unlink(pidFile.c_str());  // the daemon normally removes it itself; not after SIGKILL
  }
  return StopResult{StopResult::Outcome::Stopped, "sgeventd (pid " + std::to_string(*pid) + ") stopped"};
}

}  // namespace sgeventd::app
