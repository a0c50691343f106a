#pragma once
// A plugin version that runs in a worker process: the engine sees a Plugin like any other; invoke()
// crosses the socket, and a worker's death or a deadline shows as a Crashed or TimedOut result.
#include <memory>

#include "plugins/plugin.h"
#include "worker/worker_process.h"

namespace sgeventd::worker {

class ProcessPlugin final : public plugins::Plugin {
 public:
  ProcessPlugin(plugins::PluginId id, std::shared_ptr<WorkerProcess> worker, LoadedVersion version);
  ~ProcessPlugin() override;  // the worker forgets the version (and a worker of its own stops)

  const plugins::PluginId& id() const override { return id_; }
  plugins::PluginKind kind() const override;
  const std::vector<plugins::CallbackInfo>& callbacks() const override { return version_.callbacks; }
  plugins::InvokeResult invoke(std::size_t index, const core::Event& event,
                               plugins::Deadline deadline) override;
  std::optional<plugins::EmailSetting> emails() const override { return version_.emails; }

  const std::shared_ptr<WorkerProcess>& worker() const { return worker_; }

 private:
  plugins::PluginId id_;
  std::shared_ptr<WorkerProcess> worker_;
  LoadedVersion version_;
};

}  // namespace sgeventd::worker
