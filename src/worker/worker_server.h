#pragma once
// The worker process's side of the protocol (`sgeventd worker`): loads plugin versions by handle with
// the same loaders as the daemon, runs each handle's invocations on a thread of its own (so the plugins
// of a worker group run side by side, as lanes do in the daemon) and answers on the channel.
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "plugins/plugin.h"
#include "worker/frame_io.h"
#include "worker/protocol.h"

namespace sgeventd::worker {

class WorkerServer {
 public:
  // `host.logs` should forward to the daemon (ForwardingLogFactory on the same `writer`).
  WorkerServer(int fd, FrameWriter& writer, std::vector<plugins::PluginLoaderPtr> loaders,
               plugins::HostContext host);
  ~WorkerServer();
  WorkerServer(const WorkerServer&) = delete;
  WorkerServer& operator=(const WorkerServer&) = delete;

  // Serves until the daemon says stop or closes the channel (0), or breaks the protocol (2).
  int run();

 private:
  struct Executor;

  void load(const Load& message);
  void invoke(Invoke message);
  void unload(std::uint64_t handle);
  void stopAll();

  int fd_;
  FrameWriter& writer_;
  std::vector<plugins::PluginLoaderPtr> loaders_;
  plugins::HostContext host_;
  std::map<std::uint64_t, std::unique_ptr<Executor>> executors_;
};

}  // namespace sgeventd::worker
