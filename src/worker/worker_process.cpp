#include "worker/worker_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <set>

extern char** environ;

namespace sgeventd::worker {

struct WorkerProcess::Pending {
  std::vector<Result> results;
  bool done = false;
  bool timedOut = false;  // the deadline passed and the worker was killed for it
  bool isRun = false;
  bool completed = false;                     // a run's RunEnd said so
  std::size_t taken = 0;                      // a run's results handed out
  std::optional<plugins::InvokeResult> died;  // a run's worker ended before its RunEnd
};

struct WorkerProcess::Incarnation {
  pid_t pid = 0;
  core::UniqueFd fd;
  std::unique_ptr<FrameWriter> writer;
  std::thread reader;
  bool hello = false;
  bool ready = false;  // hello seen and every version loaded again
  bool alive = true;   // the channel is open
  bool readerDone = false;
  bool retiring = false;  // stopped on purpose (worker_max_events, shutdown): not a crash
  std::string endReason;
  std::map<std::uint64_t, Expected<LoadedVersion>> loads;  // answers to Load, by handle
  std::set<std::uint64_t> loaded;
  std::map<std::uint64_t, std::string> loadErrors;  // versions that did not load again after a restart
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending;
  std::int64_t events = 0;
};

std::string describeExit(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return fmt::format("killed by signal {} ({})", sig, name != nullptr ? name : "unknown");
  }
  if (WIFEXITED(status)) {
    return fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  return fmt::format("ended with wait status {}", status);
}

WorkerProcess::WorkerProcess(WorkerSpec spec, WorkerDeps deps)
    : spec_(std::move(spec)),
      deps_(std::move(deps)),
      log_(deps_.logs->get("engine")),
      backoff_(spec_.restartBackoff) {}

WorkerProcess::~WorkerProcess() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  changed_.notify_all();
  stopLocked(lock);
  std::vector<std::shared_ptr<Incarnation>> all = ending_;
  if (current_) {
    all.push_back(current_);
  }
  lock.unlock();
  for (const auto& inc : all) {
    if (inc->reader.joinable()) {
      inc->reader.join();
    }
  }
}

void WorkerProcess::stopLocked(std::unique_lock<std::mutex>& lock) {
  if (current_) {
    retireLocked(current_, false);
  }
  const auto deadline = std::chrono::steady_clock::now() + spec_.stopTimeout;
  for (const auto& inc : ending_) {
    if (!changed_.wait_until(lock, deadline, [&] { return !inc->alive; })) {
      ::kill(inc->pid, SIGKILL);  // a callback that does not finish does not hold the stop
    }
  }
  for (const auto& inc : ending_) {
    changed_.wait(lock, [&] { return !inc->alive; });
  }
}

void WorkerProcess::retireLocked(std::shared_ptr<Incarnation> inc, bool kill) {
  inc->retiring = true;
  if (current_ == inc) {
    current_.reset();
  }
  ending_.push_back(inc);
  if (!inc->alive) {
    return;
  }
  if (kill) {
    ::kill(inc->pid, SIGKILL);
  } else {
    // Small and the worker reads continuously: this write does not wait on the reader's lock.
    (void)inc->writer->write(encode(Stop{}));
    ::shutdown(inc->fd.get(), SHUT_WR);
  }
}

Expected<std::shared_ptr<WorkerProcess::Incarnation>> WorkerProcess::spawnLocked() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return fail(std::string("socketpair failed: ") + std::strerror(errno));
  }
  core::UniqueFd mine(sv[0]);
  core::UniqueFd theirs(sv[1]);
  // argv[0] is the name `ps` shows, whatever path runs it ("/proc/self/exe": the daemon's own binary).
  std::vector<std::string> args = {"sgeventd",     "-c", spec_.configPath, "worker",
                                   "--channel-fd", "3",  "--label",        spec_.label};
  if (spec_.memoryLimit) {
    args.push_back("--memory-limit");
    args.push_back(std::to_string(*spec_.memoryLimit));
  }
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 3);
  // Nothing else of the daemon's reaches the worker: not its state lock, not its sockets.
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The daemon decides when its workers stop: a terminal's Ctrl-C or systemd's SIGTERM to the group
  // reaches the daemon, which drains them.
  sigset_t blocked;
  sigemptyset(&blocked);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) {
    sigaddset(&blocked, sig);
  }
  posix_spawnattr_setsigmask(&attr, &blocked);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, spec_.executable.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return fail(fmt::format("cannot start {}: {}", spec_.executable.string(), std::strerror(rc)));
  }
  theirs.reset();
  auto inc = std::make_shared<Incarnation>();
  inc->pid = pid;
  inc->fd = std::move(mine);
  inc->writer = std::make_unique<FrameWriter>(inc->fd.get());
  ++starts_;
  inc->reader = std::thread([this, inc] { readLoop(inc); });
  return inc;
}

Expected<std::shared_ptr<WorkerProcess::Incarnation>> WorkerProcess::runningLocked(
    std::unique_lock<std::mutex>& lock) {
  for (;;) {
    if (stopping_) {
      return fail("the daemon is stopping");
    }
    if (current_ && current_->alive) {
      if (current_->ready) {
        return current_;
      }
      auto inc = current_;  // another thread is starting it
      changed_.wait(lock, [&] { return stopping_ || inc->ready || !inc->alive; });
      continue;
    }
    // Finished readers of earlier workers are joined here, so a crash loop leaves no threads behind.
    std::erase_if(ending_, [](const std::shared_ptr<Incarnation>& inc) {
      if (inc->readerDone && inc->reader.joinable()) {
        inc->reader.join();
      }
      return inc->readerDone;
    });
    const auto now = std::chrono::steady_clock::now();
    if (now < notBefore_) {
      changed_.wait_until(lock, notBefore_, [&] { return stopping_; });
      continue;
    }
    auto spawned = spawnLocked();
    if (!spawned) {
      notBefore_ = now + backoff_.delay(++failedStarts_);
      return unexpected(spawned.error());
    }
    auto inc = *spawned;
    current_ = inc;
    if (!changed_.wait_until(lock, now + spec_.startTimeout, [&] { return inc->hello || !inc->alive; })) {
      ::kill(inc->pid, SIGKILL);
      changed_.wait(lock, [&] { return !inc->alive; });
      return fail(fmt::format("the worker process did not answer within {} ms", spec_.startTimeout.count()));
    }
    if (!inc->alive) {
      return fail("the worker process " + inc->endReason + " before it answered");
    }
    for (const auto& [handle, id] : std::map(versions_)) {
      auto again = loadLocked(lock, inc, handle, id);
      if (again) {
        inc->loaded.insert(handle);
      } else {
        inc->loadErrors[handle] = again.error().message;
      }
    }
    if (!inc->alive) {
      continue;  // it died loading: the next round waits for its backoff
    }
    inc->ready = true;
    changed_.notify_all();
    return inc;
  }
}

Expected<LoadedVersion> WorkerProcess::loadLocked(std::unique_lock<std::mutex>& lock,
                                                  const std::shared_ptr<Incarnation>& inc,
                                                  std::uint64_t handle, const plugins::PluginId& id) {
  lock.unlock();
  const auto sent = inc->writer->write(encode(Load{handle, id}));
  lock.lock();
  if (!sent) {
    return fail("the worker process is gone: " + sent.error().message,
                static_cast<int>(plugins::LoadErrorKind::Load));
  }
  const auto deadline = std::chrono::steady_clock::now() + spec_.startTimeout;
  if (!changed_.wait_until(lock, deadline, [&] { return inc->loads.count(handle) > 0 || !inc->alive; })) {
    ::kill(inc->pid, SIGKILL);  // an import that hangs holds nothing else of the worker's
    changed_.wait(lock, [&] { return !inc->alive; });
    return fail(fmt::format("{} did not load within {} ms; its worker process was killed", id.path.string(),
                            spec_.startTimeout.count()),
                static_cast<int>(plugins::LoadErrorKind::Load));
  }
  const auto it = inc->loads.find(handle);
  if (it == inc->loads.end()) {
    return fail("the worker process " + inc->endReason + " while loading " + id.path.string(),
                static_cast<int>(plugins::LoadErrorKind::Load));
  }
  auto answer = std::move(it->second);
  inc->loads.erase(it);
  return answer;
}

Expected<LoadedVersion> WorkerProcess::load(const plugins::PluginId& id) {
  std::unique_lock lock(mutex_);
  auto inc = runningLocked(lock);
  if (!inc) {
    return fail("no worker process for " + spec_.label + ": " + inc.error().message,
                static_cast<int>(plugins::LoadErrorKind::Load));
  }
  const std::uint64_t handle = nextHandle_++;
  auto loaded = loadLocked(lock, *inc, handle, id);
  if (loaded) {
    versions_[handle] = id;
    (*inc)->loaded.insert(handle);
  }
  return loaded;
}

plugins::InvokeResult WorkerProcess::invoke(std::uint64_t handle, std::size_t callback,
                                            const core::Event& event, plugins::Deadline deadline) {
  std::unique_lock lock(mutex_);
  const auto asked = std::chrono::steady_clock::now();
  auto running = runningLocked(lock);
  if (deadline) {
    // The time spent waiting for a worker to (re)start is not the callback's: its deadline counts from
    // when the worker can run it.
    *deadline += std::chrono::steady_clock::now() - asked;
  }
  if (!running) {
    return plugins::InvokeResult::failure(
        plugins::InvokeStatus::Crashed,
        "no worker process for " + spec_.label + ": " + running.error().message);
  }
  auto inc = *running;
  if (inc->loaded.count(handle) == 0) {
    const auto why = inc->loadErrors.find(handle);
    return plugins::InvokeResult::error(
        "the restarted worker process could not load this plugin version again: " +
        (why != inc->loadErrors.end() ? why->second : std::string("unknown")));
  }
  const std::uint64_t request = nextRequest_++;
  auto pending = std::make_shared<Pending>();
  inc->pending[request] = pending;
  // Events are shared: the frame is built from a copy of the record text only.
  Invoke message{request, handle, callback, {std::make_shared<const core::Event>(event)}};
  lock.unlock();
  const auto sent = inc->writer->write(encode(message));
  lock.lock();
  if (sent) {
    waitLocked(lock, inc, *pending, deadline, [&] { return pending->done; });
  } else {
    // The reader sees the same closed channel and answers everything in flight.
    changed_.wait(lock, [&] { return pending->done; });
  }
  inc->pending.erase(request);
  countEventsLocked(inc, 1);
  if (pending->results.empty()) {
    return plugins::InvokeResult::failure(plugins::InvokeStatus::Crashed,
                                          "the worker process sent no result");
  }
  return std::move(pending->results.front().result);
}

void WorkerProcess::waitLocked(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Incarnation>& inc,
                               Pending& pending, plugins::Deadline deadline,
                               const std::function<bool()>& ready) {
  if (deadline && !changed_.wait_until(lock, *deadline, ready)) {
    pending.timedOut = true;
    inc->endReason = "was killed: a callback ran past its callback_timeout";
    ::kill(inc->pid, SIGKILL);  // ended() answers it as timed out
  }
  changed_.wait(lock, ready);
}

void WorkerProcess::countEventsLocked(const std::shared_ptr<Incarnation>& inc, std::int64_t n) {
  inc->events += n;
  if (spec_.maxEvents && inc->events >= *spec_.maxEvents && current_ == inc && inc->alive) {
    log_->info(
        fmt::format("The worker process {} of {} ran {} callbacks (worker_max_events): it is replaced.",
                    inc->pid, spec_.label, inc->events));
    retireLocked(inc, false);
  }
}

std::uint64_t WorkerProcess::startRun(std::uint64_t handle, std::vector<core::EventPtr> events) {
  std::unique_lock lock(mutex_);
  auto running = runningLocked(lock);
  if (!running || (*running)->loaded.count(handle) == 0) {
    return 0;
  }
  auto inc = *running;
  if (spec_.maxEvents) {
    // A worker about to be replaced takes no more than it has left.
    const auto left = std::max<std::int64_t>(1, *spec_.maxEvents - inc->events);
    if (static_cast<std::int64_t>(events.size()) > left) {
      events.resize(static_cast<std::size_t>(left));
    }
  }
  const std::uint64_t request = nextRequest_++;
  auto pending = std::make_shared<Pending>();
  pending->isRun = true;
  inc->pending[request] = pending;
  runs_[request] = {inc, pending};
  lock.unlock();
  (void)inc->writer->write(encode(Run{request, handle, std::move(events)}));  // a failure ends it as died
  return request;
}

WorkerProcess::RunItem WorkerProcess::nextOfRun(std::uint64_t request, plugins::Deadline deadline) {
  std::unique_lock lock(mutex_);
  const auto it = runs_.find(request);
  if (it == runs_.end()) {
    return {};
  }
  auto inc = it->second.first;
  auto pending = it->second.second;
  waitLocked(lock, inc, *pending, deadline,
             [&] { return pending->taken < pending->results.size() || pending->done; });
  if (pending->taken < pending->results.size()) {
    auto& r = pending->results[pending->taken++];
    countEventsLocked(inc, 1);
    return {RunItem::Kind::Result, r.eventId, r.callback, std::move(r.result), false};
  }
  if (pending->died) {
    return {RunItem::Kind::Died, 0, 0, *pending->died, false};
  }
  return {RunItem::Kind::Ended, 0, 0, {}, pending->completed};
}

bool WorkerProcess::runOwes(std::uint64_t request) const {
  std::lock_guard lock(mutex_);
  const auto it = runs_.find(request);
  if (it == runs_.end()) {
    return false;
  }
  const auto& pending = *it->second.second;
  return pending.taken < pending.results.size() || !pending.done;
}

void WorkerProcess::cancelRun(std::uint64_t request) {
  std::unique_lock lock(mutex_);
  const auto it = runs_.find(request);
  if (it == runs_.end() || it->second.second->done || !it->second.first->alive) {
    return;
  }
  auto inc = it->second.first;
  lock.unlock();
  (void)inc->writer->write(encode(Cancel{request}));
}

void WorkerProcess::endRun(std::uint64_t request) {
  std::lock_guard lock(mutex_);
  const auto it = runs_.find(request);
  if (it == runs_.end()) {
    return;
  }
  it->second.first->pending.erase(request);
  runs_.erase(it);
}

void WorkerProcess::unload(std::uint64_t handle) {
  std::unique_lock lock(mutex_);
  versions_.erase(handle);
  auto inc = current_;
  if (!inc || !inc->alive || inc->loaded.erase(handle) == 0) {
    return;
  }
  lock.unlock();
  (void)inc->writer->write(encode(Unload{handle}));
}

pid_t WorkerProcess::pid() const {
  std::lock_guard lock(mutex_);
  return current_ && current_->alive ? current_->pid : 0;
}

int WorkerProcess::starts() const {
  std::lock_guard lock(mutex_);
  return starts_;
}

void WorkerProcess::readLoop(std::shared_ptr<Incarnation> inc) {
  FrameReader reader(inc->fd.get());
  std::string why;
  for (;;) {
    auto frame = reader.next();
    if (!frame) {
      why = frame.error().message;
      break;
    }
    if (!*frame) {
      break;
    }
    auto message = decode(**frame);
    if (!message) {
      why = message.error().message;  // a worker that breaks the protocol is ended, not trusted
      ::kill(inc->pid, SIGKILL);
      break;
    }
    deliver(inc, std::move(*message));
  }
  ended(inc, why);
}

void WorkerProcess::deliver(const std::shared_ptr<Incarnation>& inc, Message message) {
  if (auto* record = std::get_if<LogRecord>(&message)) {
    // Outside the lock: a slow handler (e-mail) never holds a lane waiting for its result.
    const core::SourceLocation where{record->path, record->function, record->line};
    deps_.logs->get(record->logger)->logAt(record->level, record->message, where);
    return;
  }
  if (auto* level = std::get_if<SetLevel>(&message)) {
    if (deps_.setLevel) {
      deps_.setLevel(level->logger, level->level);
    }
    return;
  }
  std::lock_guard lock(mutex_);
  if (auto* hello = std::get_if<Hello>(&message)) {
    if (hello->version != kProtocolVersion) {
      inc->endReason =
          fmt::format("speaks worker protocol version {}, not {}", hello->version, kProtocolVersion);
      ::kill(inc->pid, SIGKILL);
      return;
    }
    inc->hello = true;
  } else if (auto* loaded = std::get_if<Loaded>(&message)) {
    inc->loads.emplace(loaded->handle, LoadedVersion{loaded->handle, std::move(loaded->callbacks),
                                                     std::move(loaded->emails)});
  } else if (auto* failed = std::get_if<LoadFailed>(&message)) {
    inc->loads.emplace(failed->handle, unexpected(Error{std::move(failed->message), failed->kind}));
  } else if (auto* result = std::get_if<Result>(&message)) {
    const auto it = inc->pending.find(result->request);
    if (it == inc->pending.end()) {
      return;  // answered already (its deadline passed)
    }
    if (result->result.ok()) {
      failedStarts_ = 0;  // a worker that does work is not in a crash loop
    }
    const bool last = result->last && !it->second->isRun;
    it->second->results.push_back(std::move(*result));
    if (last) {
      it->second->done = true;
    }
  } else if (auto* end = std::get_if<RunEnd>(&message)) {
    const auto it = inc->pending.find(end->request);
    if (it == inc->pending.end()) {
      return;
    }
    it->second->completed = end->completed;
    it->second->done = true;
  }
  changed_.notify_all();
}

void WorkerProcess::ended(const std::shared_ptr<Incarnation>& inc, const std::string& why) {
  // The channel closed: the process exits, or closed it itself and is killed for it.
  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 100 && reaped == 0; ++i) {
    reaped = ::waitpid(inc->pid, &status, WNOHANG);
    if (reaped == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (reaped == 0) {
    ::kill(inc->pid, SIGKILL);
    reaped = ::waitpid(inc->pid, &status, 0);
  }
  std::string exit = reaped == inc->pid ? describeExit(status) : "vanished";
  std::unique_lock lock(mutex_);
  if (inc->endReason.empty()) {
    inc->endReason = why.empty() ? exit : exit + " (" + why + ")";
  }
  inc->alive = false;
  std::size_t inFlight = 0;
  for (auto& [request, pending] : inc->pending) {
    if (pending->done) {
      continue;
    }
    ++inFlight;
    pending->done = true;
    auto failure =
        pending->timedOut
            ? plugins::InvokeResult::failure(
                  plugins::InvokeStatus::TimedOut,
                  "the callback ran past its callback_timeout; its worker process (pid " +
                      std::to_string(inc->pid) + ") was killed")
            : plugins::InvokeResult::failure(plugins::InvokeStatus::Crashed,
                                             "the worker process (pid " + std::to_string(inc->pid) + ") of " +
                                                 spec_.label + " " + inc->endReason + " during the callback");
    if (pending->isRun) {
      pending->died = std::move(failure);  // what arrived before stays to be taken
    } else {
      pending->results.clear();
      pending->results.push_back({request, 0, std::move(failure), true});
    }
  }
  if (current_ == inc) {
    current_.reset();
    ending_.push_back(inc);
  }
  if (!inc->retiring && !stopping_) {
    const auto delay = backoff_.delay(++failedStarts_);
    notBefore_ = std::chrono::steady_clock::now() + delay;
    log_->warning(
        fmt::format("The worker process {} of {} {}; {} callback(s) in flight fail. It starts again "
                    "in {} ms.",
                    inc->pid, spec_.label, inc->endReason, inFlight, delay.count()));
  }
  inc->readerDone = true;
  changed_.notify_all();
}

}  // namespace sgeventd::worker
