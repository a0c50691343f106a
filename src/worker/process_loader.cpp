#include "worker/process_loader.h"

#include "worker/process_plugin.h"

namespace sgeventd::worker {

bool ProcessLoader::handles(const std::filesystem::path& file) const {
  const auto ext = file.extension();
  if (ext != ".py" && ext != ".so") {
    return false;
  }
  return options_.placement && options_.placement(file.stem().string()).has_value();
}

std::shared_ptr<WorkerProcess> ProcessLoader::workerFor(const plugins::PluginId& id,
                                                        const ProcessPlacement& placement) {
  WorkerSpec spec;
  spec.executable = options_.executable;
  spec.configPath = options_.configPath;
  spec.memoryLimit = placement.memoryLimit;
  spec.maxEvents = placement.maxEvents;
  spec.startTimeout = options_.startTimeout;
  if (placement.group.empty()) {
    spec.label = "plugin " + id.name;
    return std::make_shared<WorkerProcess>(std::move(spec), options_.deps);
  }
  std::lock_guard lock(mutex_);
  auto& worker = groups_[placement.group];
  if (!worker) {
    // The group's limits are those of the first of its plugins to load.
    spec.label = "worker group " + placement.group;
    worker = std::make_shared<WorkerProcess>(std::move(spec), options_.deps);
  }
  return worker;
}

Expected<plugins::PluginPtr> ProcessLoader::load(const plugins::PluginId& id, const plugins::HostContext&) {
  const auto placement = options_.placement ? options_.placement(id.name) : std::nullopt;
  if (!placement) {
    return fail("the plugin " + id.name + " is not configured for a worker process",
                static_cast<int>(plugins::LoadErrorKind::Load));
  }
  auto worker = workerFor(id, *placement);
  auto version = worker->load(id);
  if (!version) {
    return unexpected(version.error());
  }
  return std::make_shared<ProcessPlugin>(id, std::move(worker), std::move(*version));
}

}  // namespace sgeventd::worker
