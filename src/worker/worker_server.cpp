#include "worker/worker_server.h"

#include <unistd.h>

#include <cstdio>

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

  void post(Invoke message) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(message));
    }
    wake.notify_all();
  }

  void loop() {
    for (;;) {
      Invoke job;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return closing || !queue.empty(); });
        if (queue.empty()) {
          break;  // closing, and everything asked for has run
        }
        job = std::move(queue.front());
        queue.pop_front();
      }
      run(job);
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

  plugins::PluginPtr plugin;
  FrameWriter& writer;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Invoke> queue;
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
