#include "worker/worker_server.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <variant>

#include "core/match_events.h"

namespace sgeventd::worker {

// One loaded plugin version and the thread that runs its invocations in order.
struct WorkerServer::Executor {
  Executor(plugins::PluginPtr p, FrameWriter& w) : plugin(std::move(p)), writer(w) {
    thread = std::thread([this] { loop(); });
  }
  ~Executor() {
    {
      std::lock_guard lock(mutex);
      closing = true;
    }
    wake.notify_all();
    thread.join();
  }

  void post(std::variant<Invoke, Run> message) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(message));
    }
    wake.notify_all();
  }

  void loop() {
    for (;;) {
      std::variant<Invoke, Run> job;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return closing || !queue.empty(); });
        if (queue.empty()) {
          break;  // closing, and everything asked for has run
        }
        job = std::move(queue.front());
        queue.pop_front();
      }
      if (const auto* one = std::get_if<Invoke>(&job)) {
        run(*one);
      } else {
        runAhead(std::get<Run>(job));
      }
    }
    plugin.reset();  // on this thread: a Python plugin's objects go while nothing else runs it
  }

  void run(const Invoke& job) {
    const auto& callbacks = plugin->callbacks();
    if (job.callback >= callbacks.size()) {
      (void)writer.write(encode(
          Result{job.request, job.events.empty() ? 0 : job.events.front()->id,
                 plugins::InvokeResult::error("no callback number " + std::to_string(job.callback)), true}));
      return;
    }
    for (std::size_t i = 0; i < job.events.size(); ++i) {
      auto result = plugin->invoke(job.callback, *job.events[i], plugins::Deadline{});
      const bool last = i + 1 == job.events.size() || !result.ok();
      (void)writer.write(encode(Result{job.request, job.events[i]->id, std::move(result), last}));
      if (last) {
        break;  // the rest of a batch waits for the daemon's verdict on this failure
      }
    }
  }

  // The daemon's dispatch, done here for a run of events: callbacks in registration order with their
  // matchEvents, stopping at the first attempt that does not succeed.
  void runAhead(const Run& job) {
    const auto& callbacks = plugin->callbacks();
    for (const auto& event : job.events) {
      if (cancelled.load(std::memory_order_acquire) == job.request) {
        (void)writer.write(encode(RunEnd{job.request, false}));
        return;
      }
      for (std::size_t i = 0; i < callbacks.size(); ++i) {
        if (!core::matchesEvent(callbacks[i].match, *event)) {
          continue;
        }
        auto result = plugin->invoke(i, *event, plugins::Deadline{});
        const bool ok = result.ok();
        (void)writer.write(encode(Result{job.request, event->id, std::move(result), false, i}));
        if (!ok) {
          (void)writer.write(encode(RunEnd{job.request, false}));
          return;
        }
      }
    }
    (void)writer.write(encode(RunEnd{job.request, true}));
  }

  plugins::PluginPtr plugin;
  FrameWriter& writer;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::variant<Invoke, Run>> queue;
  std::atomic<std::uint64_t> cancelled{0};  // the Run to stop before its next event
  bool closing = false;
  std::thread thread;
};

WorkerServer::WorkerServer(int fd, FrameWriter& writer, std::vector<plugins::PluginLoaderPtr> loaders,
                           plugins::HostContext host)
    : fd_(fd), writer_(writer), loaders_(std::move(loaders)), host_(std::move(host)) {}

WorkerServer::~WorkerServer() { stopAll(); }

void WorkerServer::stopAll() { executors_.clear(); }

void WorkerServer::load(const Load& message) {
  plugins::PluginLoader* loader = nullptr;
  for (const auto& l : loaders_) {
    if (l->handles(message.id.path)) {
      loader = l.get();
      break;
    }
  }
  if (loader == nullptr) {
    (void)writer_.write(encode(LoadFailed{message.handle, static_cast<int>(plugins::LoadErrorKind::Load),
                                          "no loader in the worker handles " + message.id.path.string()}));
    return;
  }
  auto plugin = loader->load(message.id, host_);
  if (!plugin) {
    (void)writer_.write(encode(LoadFailed{message.handle, plugin.error().code, plugin.error().message}));
    return;
  }
  Loaded loaded{message.handle, (*plugin)->callbacks(), (*plugin)->emails()};
  executors_[message.handle] = std::make_unique<Executor>(std::move(*plugin), writer_);
  (void)writer_.write(encode(loaded));
}

void WorkerServer::invoke(Invoke message) {
  const auto it = executors_.find(message.handle);
  if (it == executors_.end()) {
    (void)writer_.write(encode(Result{
        message.request, message.events.empty() ? 0 : message.events.front()->id,
        plugins::InvokeResult::error("the worker has no plugin version " + std::to_string(message.handle)),
        true}));
    return;
  }
  it->second->post(std::move(message));
}

void WorkerServer::unload(std::uint64_t handle) { executors_.erase(handle); }

int WorkerServer::run() {
  if (!writer_.write(encode(Hello{kProtocolVersion, static_cast<std::int64_t>(::getpid())}))) {
    return 2;
  }
  FrameReader reader(fd_);
  for (;;) {
    auto frame = reader.next();
    if (!frame) {
      std::fprintf(stderr, "sgeventd worker: %s\n", frame.error().message.c_str());
      return 2;
    }
    if (!*frame) {
      // The daemon is gone: nothing is left to answer to, and a callback that hangs must not keep this
      // process alive, so no thread is joined.
      std::fflush(nullptr);
      ::_exit(0);
    }
    auto message = decode(**frame);
    if (!message) {
      std::fprintf(stderr, "sgeventd worker: %s\n", message.error().message.c_str());
      return 2;
    }
    if (auto* m = std::get_if<Load>(&*message)) {
      load(*m);
    } else if (auto* i = std::get_if<Invoke>(&*message)) {
      invoke(std::move(*i));
    } else if (auto* c = std::get_if<Cancel>(&*message)) {
      // Any handle's executor may hold it; each checks its own runs only.
      for (auto& [handle, executor] : executors_) {
        executor->cancelled.store(c->request, std::memory_order_release);
      }
    } else if (auto* r = std::get_if<Run>(&*message)) {
      const auto it = executors_.find(r->handle);
      if (it == executors_.end()) {
        (void)writer_.write(encode(RunEnd{r->request, false}));  // nothing ran: the daemon asks one by one
      } else {
        it->second->post(std::move(*r));
      }
    } else if (auto* u = std::get_if<Unload>(&*message)) {
      unload(u->handle);
    } else if (std::holds_alternative<Stop>(*message)) {
      stopAll();  // lets what runs finish
      return 0;
    } else {
      std::fprintf(stderr, "sgeventd worker: the daemon sent a message only a worker sends\n");
      return 2;
    }
  }
}

}  // namespace sgeventd::worker
