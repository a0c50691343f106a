#pragma once
// The daemon's side of one worker process (`sgeventd worker`): started with posix_spawn (never a bare
// fork of the threaded daemon) on a socketpair, it holds plugin versions by handle. A lane's invoke()
// waits for its result, up to the callback's deadline; past it the worker is killed and the attempt timed
// out. A worker that dies for any reason fails what was in flight as Crashed and is started again, with
// backoff, with every version it held loaded again. Its plugins' log records go to the daemon's loggers.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/backoff.h"
#include "core/expected.h"
#include "core/log.h"
#include "core/unique_fd.h"
#include "plugins/plugin.h"
#include "worker/frame_io.h"
#include "worker/protocol.h"

namespace sgeventd::worker {

struct WorkerSpec {
  std::string label;                        // "plugin logArgs", "worker group render": for log lines
  std::filesystem::path executable;         // the sgeventd binary; "/proc/self/exe" runs the daemon's own
  std::string configPath;                   // the worker reads the same config (site, Python, logging level)
  std::optional<std::int64_t> memoryLimit;  // bytes of address space (RLIMIT_AS)
  std::optional<std::int64_t> maxEvents;    // restart between events after so many
  core::BackoffPolicy restartBackoff{std::chrono::milliseconds(500), std::chrono::milliseconds(30000)};
  std::chrono::milliseconds startTimeout{30000};  // from spawn to hello, and per load
  std::chrono::milliseconds stopTimeout{5000};    // a Stop's grace before SIGKILL
};

struct WorkerDeps {
  core::LogFactoryPtr logs;  // where forwarded records go; "engine" gets the worker's own lines
  std::function<void(const std::string& logger, core::LogLevel level)> setLevel;  // may be empty
};

// A plugin version the worker registered.
struct LoadedVersion {
  std::uint64_t handle = 0;
  std::vector<plugins::CallbackInfo> callbacks;
  std::optional<plugins::EmailSetting> emails;
};

class WorkerProcess {
 public:
  WorkerProcess(WorkerSpec spec, WorkerDeps deps);
  ~WorkerProcess();  // stops the worker: Stop, then SIGKILL after stopTimeout
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Loads one version of a plugin file (starting the worker first when none runs). The error carries a
  // plugins::LoadErrorKind code, as an in-process load's does.
  Expected<LoadedVersion> load(const plugins::PluginId& id);
  // Runs a callback for one event; never throws.
  plugins::InvokeResult invoke(std::uint64_t handle, std::size_t callback, const core::Event& event,
                               plugins::Deadline deadline);
  void unload(std::uint64_t handle);

  // Run-ahead (Plugin::offer): starts a Run of `events`; 0 when no worker could take it (the caller then
  // asks event by event).
  std::uint64_t startRun(std::uint64_t handle, std::vector<core::EventPtr> events);
  struct RunItem {
    enum class Kind { Result, Ended, Died };
    Kind kind = Kind::Ended;
    std::int64_t eventId = 0;
    std::size_t callback = 0;
    plugins::InvokeResult result;  // Result; Died: crashed or timed out
    bool completed = false;        // Ended: every event ran without a failure
  };
  // The next item of a run, waiting up to `deadline` (past it the worker is killed: Died, timed out).
  RunItem nextOfRun(std::uint64_t request, plugins::Deadline deadline);
  // Whether the run still owes items (running, or results not taken yet).
  bool runOwes(std::uint64_t request) const;
  // Asks the worker to stop the run before its next event.
  void cancelRun(std::uint64_t request);
  void endRun(std::uint64_t request);

  // The running worker's pid; 0 when none runs.
  pid_t pid() const;
  // How many times a worker was started.
  int starts() const;
  const WorkerSpec& spec() const { return spec_; }

 private:
  struct Incarnation;
  struct Pending;

  // With mutex_ held: a running worker, started (after its backoff) if needed.
  Expected<std::shared_ptr<Incarnation>> runningLocked(std::unique_lock<std::mutex>& lock);
  Expected<std::shared_ptr<Incarnation>> spawnLocked();
  Expected<LoadedVersion> loadLocked(std::unique_lock<std::mutex>& lock,
                                     const std::shared_ptr<Incarnation>& inc, std::uint64_t handle,
                                     const plugins::PluginId& id);
  void readLoop(std::shared_ptr<Incarnation> inc);
  void deliver(const std::shared_ptr<Incarnation>& inc, Message message);
  // The reader saw the channel close: reap the process, fail what was in flight.
  void ended(const std::shared_ptr<Incarnation>& inc, const std::string& why);
  void retireLocked(std::shared_ptr<Incarnation> inc, bool kill);  // by value: it may be current_
  void countEventsLocked(const std::shared_ptr<Incarnation>& inc, std::int64_t n);
  // Waits for `ready`; past `deadline` the worker is killed and what waits is answered as timed out.
  void waitLocked(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Incarnation>& inc,
                  Pending& pending, plugins::Deadline deadline, const std::function<bool()>& ready);
  void stopLocked(std::unique_lock<std::mutex>& lock);

  WorkerSpec spec_;
  WorkerDeps deps_;
  core::LoggerPtr log_;
  core::Backoff backoff_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<Incarnation> current_;
  std::vector<std::shared_ptr<Incarnation>> ending_;     // retired, reader still running
  std::map<std::uint64_t, plugins::PluginId> versions_;  // what a restarted worker loads again
  std::map<std::uint64_t, std::pair<std::shared_ptr<Incarnation>, std::shared_ptr<Pending>>> runs_;
  std::uint64_t nextHandle_ = 1;
  std::uint64_t nextRequest_ = 1;
  int starts_ = 0;
  int failedStarts_ = 0;  // consecutive deaths without a success: the backoff's attempt
  std::chrono::steady_clock::time_point notBefore_{};
  bool stopping_ = false;
};

// "killed by signal 11 (Segmentation fault)", "exited with status 3", from a waitpid status.
std::string describeExit(int status);

}  // namespace sgeventd::worker
