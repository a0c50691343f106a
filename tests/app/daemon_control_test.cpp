#include "app/daemon_control.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sgeventd::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sgeventd-app-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void writeFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A child process whose command line says "sgeventd", as the real daemon's does. It sleeps until
// killed; with ignoreTerm it survives SIGTERM. Given a state database, it holds that database's daemon
// lock (a flock on the file, taken by the child itself so /proc/locks names its pid) as a daemon does.
class FakeDaemon {
 public:
  explicit FakeDaemon(bool ignoreTerm = false, const std::string& lockedDatabase = {}) {
    pid_ = ::fork();
    if (pid_ == 0) {
      if (!lockedDatabase.empty()) {
        // No O_CLOEXEC: the descriptor, and so the lock, survive the exec.
        const int fd = ::open(lockedDatabase.c_str(), O_RDWR | O_CREAT, 0644);
        if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
          ::_exit(126);
        }
      }
      if (ignoreTerm) {
        ::signal(SIGTERM, SIG_IGN);  // an ignored signal stays ignored across exec
      }
      ::execl("/bin/sleep", "sgeventd-test-sleeper", "60", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Wait for the exec so /proc/<pid>/cmdline shows the new name.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline &&
           readFile("/proc/" + std::to_string(pid_) + "/cmdline").find("sgeventd") == std::string::npos) {
      std::this_thread::sleep_for(5ms);
    }
  }
  ~FakeDaemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  int reap() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

pid_t deadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(0);
  }
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(ReadPid, ReadsThePid) {
  TempDir dir;
  writeFile(dir.file("a.pid"), "1234\n");
  EXPECT_EQ(*readPid(dir.file("a.pid")), 1234);
}

TEST(ReadPid, EmptyFileIsAClearError) {
  TempDir dir;
  writeFile(dir.file("a.pid"), "  \n");
  EXPECT_EQ(readPid(dir.file("a.pid")).error().message, "pid file " + dir.file("a.pid") + " is empty");
}

TEST(ReadPid, GarbageIsAClearError) {
  TempDir dir;
  writeFile(dir.file("a.pid"), "12ab\n");
  EXPECT_EQ(readPid(dir.file("a.pid")).error().message,
            "pid file " + dir.file("a.pid") + " does not hold a process id: \"12ab\"");
  writeFile(dir.file("b.pid"), "-5");
  EXPECT_FALSE(readPid(dir.file("b.pid")).has_value());
}

TEST(ReadPid, MissingFileCarriesErrno) {
  auto pid = readPid("/nonexistent/sgeventd.pid");
  ASSERT_FALSE(pid.has_value());
  EXPECT_EQ(pid.error().code, ENOENT);
}

TEST(PidFile, CreatesWritesAndRemoves) {
  TempDir dir;
  const std::string path = dir.file("run/sgeventd.pid");
  {
    auto pidFile = PidFile::acquire(path);
    ASSERT_TRUE(pidFile.has_value()) << pidFile.error().message;
    EXPECT_EQ(readFile(path), std::to_string(::getpid()) + "\n");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0002, 0U) << "not world-writable";
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(PidFile, RefusesWhenALiveDaemonHoldsIt) {
  TempDir dir;
  FakeDaemon daemon;
  const std::string path = dir.file("sgeventd.pid");
  writeFile(path, std::to_string(daemon.pid()) + "\n");
  auto pidFile = PidFile::acquire(path);
  ASSERT_FALSE(pidFile.has_value());
  EXPECT_EQ(pidFile.error().message,
            "sgeventd is already running (pid " + std::to_string(daemon.pid()) + ", pid file " + path + ")");
  EXPECT_EQ(readFile(path), std::to_string(daemon.pid()) + "\n") << "left untouched";
}

TEST(PidFile, ReplacesAStaleFileAndSaysSo) {
  TempDir dir;
  const std::string path = dir.file("sgeventd.pid");
  writeFile(path, std::to_string(deadPid()) + "\n");
  std::vector<std::string> logged;
  auto pidFile = PidFile::acquire(path, [&](std::string_view line) { logged.emplace_back(line); });
  ASSERT_TRUE(pidFile.has_value()) << pidFile.error().message;
  EXPECT_EQ(readFile(path), std::to_string(::getpid()) + "\n");
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_NE(logged[0].find("removing stale pid file"), std::string::npos);
}

TEST(PidFile, AnotherProgramWithThePidIsStale) {
  TempDir dir;
  const pid_t init = 1;  // running, but not sgeventd (pid reuse after a reboot)
  const std::string path = dir.file("sgeventd.pid");
  writeFile(path, std::to_string(init) + "\n");
  auto pidFile = PidFile::acquire(path);
  ASSERT_TRUE(pidFile.has_value()) << pidFile.error().message;
}

TEST(PidFile, ReplacesGarbage) {
  TempDir dir;
  const std::string path = dir.file("sgeventd.pid");
  writeFile(path, "not a pid");
  std::vector<std::string> logged;
  auto pidFile = PidFile::acquire(path, [&](std::string_view line) { logged.emplace_back(line); });
  ASSERT_TRUE(pidFile.has_value());
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_NE(logged[0].find("does not hold a process id"), std::string::npos);
}

TEST(PidFile, DoesNotRemoveAFileItNoLongerOwns) {
  TempDir dir;
  const std::string path = dir.file("sgeventd.pid");
  {
    auto pidFile = PidFile::acquire(path);
    ASSERT_TRUE(pidFile.has_value());
    writeFile(path, "999999\n");  // another instance took over
  }
  EXPECT_TRUE(fs::exists(path));
}

// Runs `body` in a forked child that calls daemonize(); returns the exit status of that child (the
// foreground process), which reflects what the daemon reported.
int runDaemonized(const std::function<void(ReadinessReporter&)>& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    auto reporter = daemonize(DaemonizeOptions{10s});
    if (!reporter) {
      ::_exit(3);
    }
    body(*reporter);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return status;
}

bool waitForFile(const std::string& path, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!fs::exists(path)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(Daemonize, ForegroundExitsZeroAfterReadiness) {
  TempDir dir;
  const std::string out = dir.file("daemon.txt");
  const int status = runDaemonized([&](ReadinessReporter& reporter) {
    char cwd[256] = {};
    const mode_t mask = ::umask(0);
    std::ofstream(out + ".tmp") << ::getppid() << " " << ::getsid(0) << " " << ::getpid() << " "
                                << (::getcwd(cwd, sizeof cwd) ? cwd : "?") << " " << std::oct << mask << " "
                                << (::isatty(0) ? "tty" : "notty");
    fs::rename(out + ".tmp", out);
    reporter.ready();
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_TRUE(waitForFile(out, 5s));
  std::istringstream facts(readFile(out));
  long ppid = 0, sid = 0, pid = 0;
  std::string cwd, mask, tty;
  facts >> ppid >> sid >> pid >> cwd >> mask >> tty;
  EXPECT_NE(sid, pid) << "the grandchild is not a session leader";
  EXPECT_EQ(cwd, "/");
  EXPECT_EQ(mask, "27");
  EXPECT_EQ(tty, "notty");
}

TEST(Daemonize, ForegroundExitsOneWhenStartUpFails) {
  const int status =
      runDaemonized([](ReadinessReporter& reporter) { reporter.failed("state database is locked"); });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST(Daemonize, ForegroundExitsOneWhenTheDaemonDiesSilently) {
  const int status = runDaemonized([](ReadinessReporter&) { ::_exit(2); });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST(StopDaemon, NoPidFileMeansNotRunning) {
  TempDir dir;
  auto result = stopDaemon(dir.file("none.pid"), dir.file("s.sqlite"), 1s);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->outcome, StopResult::Outcome::NotRunning);
  EXPECT_EQ(result->message, "pid file " + dir.file("none.pid") + " does not exist. Daemon not running?");
}

TEST(StopDaemon, StalePidFileIsRemoved) {
  TempDir dir;
  const std::string path = dir.file("sgeventd.pid");
  writeFile(path, std::to_string(deadPid()) + "\n");
  auto result = stopDaemon(path, dir.file("s.sqlite"), 1s);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->outcome, StopResult::Outcome::StaleRemoved);
  EXPECT_FALSE(fs::exists(path));
}

TEST(StopDaemon, StopsARunningProcess) {
  TempDir dir;
  FakeDaemon daemon(/*ignoreTerm=*/false, dir.file("s.sqlite"));
  const std::string path = dir.file("sgeventd.pid");
  writeFile(path, std::to_string(daemon.pid()) + "\n");
  auto result = stopDaemon(path, dir.file("s.sqlite"), 10s);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->outcome, StopResult::Outcome::Stopped);
  const int status = daemon.reap();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  EXPECT_FALSE(fs::exists(path));
}

TEST(StopDaemon, ReportsAProcessThatOutlivesTheDeadline) {
  TempDir dir;
  FakeDaemon daemon(/*ignoreTerm=*/true, dir.file("s.sqlite"));
  const std::string path = dir.file("sgeventd.pid");
  writeFile(path, std::to_string(daemon.pid()) + "\n");
  auto result = stopDaemon(path, dir.file("s.sqlite"), 200ms);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("is still running"), std::string::npos);
  EXPECT_EQ(::kill(daemon.pid(), 0), 0) << "no SIGKILL unless asked";
  auto forced = stopDaemon(path, dir.file("s.sqlite"), 200ms, /*killAtDeadline=*/true);
  ASSERT_TRUE(forced.has_value()) << forced.error().message;
  EXPECT_TRUE(WIFSIGNALED(daemon.reap()));
}

// Issue 8, item 8: a pid file naming any process whose command line mentions "sgeventd" used to get it
// SIGTERM. Only the holder of this config's state lock is the daemon.
TEST(StopDaemon, DoesNotSignalAProcessThatDoesNotHoldTheStateLock) {
  TempDir dir;
  const std::string database = dir.file("s.sqlite");
  FakeDaemon unrelated;  // "sgeventd-test-sleeper", holding no lock
  const std::string path = dir.file("sgeventd.pid");
  writeFile(path, std::to_string(unrelated.pid()) + "\n");

  auto result = stopDaemon(path, database, 1s);
  ASSERT_FALSE(result.has_value()) << "stop signalled pid " << unrelated.pid();
  EXPECT_EQ(result.error().message, "pid file " + path + " names pid " + std::to_string(unrelated.pid()) +
                                        ", which does not hold the lock of state database " + database +
                                        " (no daemon holds it): not signalling it; it is not this config's "
                                        "daemon, or it is still starting");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(::waitpid(unrelated.pid(), nullptr, WNOHANG), 0) << "the unrelated process was signalled";
  EXPECT_TRUE(fs::exists(path)) << "the pid file may belong to a daemon still starting";

  // With the real daemon running elsewhere, the message names it, and still nothing is signalled.
  FakeDaemon real(/*ignoreTerm=*/false, database);
  auto again = stopDaemon(path, database, 1s);
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message.find("(pid " + std::to_string(real.pid()) + " does)"), std::string::npos)
      << again.error().message;
  EXPECT_EQ(::waitpid(unrelated.pid(), nullptr, WNOHANG), 0);
  EXPECT_EQ(::waitpid(real.pid(), nullptr, WNOHANG), 0);
}

}  // namespace
}  // namespace sgeventd::app
