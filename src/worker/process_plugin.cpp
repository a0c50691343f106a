#include "worker/process_plugin.h"

namespace sgeventd::worker {

ProcessPlugin::ProcessPlugin(plugins::PluginId id, std::shared_ptr<WorkerProcess> worker,
                             LoadedVersion version)
    : id_(std::move(id)), worker_(std::move(worker)), version_(std::move(version)) {}

ProcessPlugin::~ProcessPlugin() { worker_->unload(version_.handle); }

plugins::PluginKind ProcessPlugin::kind() const {
  return id_.path.extension() == ".so" ? plugins::PluginKind::Native : plugins::PluginKind::Python;
}

plugins::InvokeResult ProcessPlugin::invoke(std::size_t index, const core::Event& event,
                                            plugins::Deadline deadline) {
  return worker_->invoke(version_.handle, index, event, deadline);
}

}  // namespace sgeventd::worker
