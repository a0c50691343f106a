#pragma once
// Daemon control: the pid file, going to the background, and stopping a running daemon.
#include <signal.h>  // kill(), SIGTERM: callers of this header signal the daemon
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/expected.h"
#include "core/unique_fd.h"

namespace sgeventd::app {

// The pid in a pid file: "1234\n". Empty or non-numeric content is an error that says so.
Expected<pid_t> readPid(const std::string& path);

// True when `pid` is a running (not zombie) process whose command line mentions "sgeventd".
bool isLiveSgeventd(pid_t pid);

// Owns the pid file of this process: created atomically (written to a temporary file, then link()ed, so
// no reader ever sees it half-written), removed on destruction if it still names this process.
class PidFile {
 public:
  // Refuses when the file names a live sgeventd ("sgeventd is already running (pid N, pid file P)").
  // A stale file (dead process, another program, garbage) is replaced; `log` hears about it.
  static Expected<PidFile> acquire(const std::string& path,
                                   const std::function<void(std::string_view)>& log = nullptr);
  PidFile(PidFile&& other) noexcept;
  PidFile& operator=(PidFile&& other) noexcept;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile();

  const std::string& path() const { return path_; }
  pid_t pid() const { return pid_; }
  // Forgets the file without removing it (a forked process that must not clean up after its parent).
  void release() { path_.clear(); }

 private:
  PidFile(std::string path, pid_t pid) : path_(std::move(path)), pid_(pid) {}
  std::string path_;
  pid_t pid_ = 0;
};

// Held by the daemonized process: tells the waiting foreground process how start-up went. If it is
// destroyed without a report (start-up threw, returned early), the foreground process reports failure.
class ReadinessReporter {
 public:
  explicit ReadinessReporter(int fd) : fd_(fd) {}
  ReadinessReporter(ReadinessReporter&& other) noexcept = default;
  ReadinessReporter& operator=(ReadinessReporter&&) = delete;
  ReadinessReporter(const ReadinessReporter&) = delete;
  ReadinessReporter& operator=(const ReadinessReporter&) = delete;
  // Closing without a report: EOF, and the foreground process reports a failed start.
  ~ReadinessReporter() = default;

  void ready();                           // the foreground process exits 0
  void failed(std::string_view message);  // it prints `message` on stderr and exits 1
  bool reported() const { return !fd_.valid(); }

 private:
  void send(std::string_view line);
  core::UniqueFd fd_;
};

struct DaemonizeOptions {
  // How long the foreground process waits for ready()/failed() before giving up (exit 1).
  std::chrono::milliseconds readyTimeout{std::chrono::seconds(120)};
  mode_t umask = 027;  // not 0 as the original: logs and state are not world-writable
};

// Double fork + setsid, chdir("/"), umask, stdio to /dev/null. Returns only in the daemon (the
// grandchild). The calling process waits for the daemon's report and _exit()s with 0 (ready) or 1;
// the intermediate child _exit()s at once. An error is returned only if nothing was forked.
Expected<ReadinessReporter> daemonize(const DaemonizeOptions& options = {});

struct StopResult {
  enum class Outcome { NotRunning, StaleRemoved, Stopped };
  Outcome outcome;
  std::string message;  // for the operator, e.g. "pid file P does not exist. Daemon not running?"
};

// SIGTERM to the pid in `pidFile`, then waits (polling) until the process is gone or `timeout` passes.
// The pid must be the process holding the daemon lock of `stateDatabase` (see store::DaemonLock): any
// other live process is an error and is not signalled. Still alive at the deadline: an error, unless
// `killAtDeadline` (then SIGKILL and wait once more).
Expected<StopResult> stopDaemon(const std::string& pidFile, const std::string& stateDatabase,
                                std::chrono::milliseconds timeout, bool killAtDeadline = false);

}  // namespace sgeventd::app
