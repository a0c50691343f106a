#pragma once
// The loader in front of the others for plugins configured with `isolation = process`: it hands the file
// to a worker process and returns a ProcessPlugin. A plugin of its own gets a new worker for every version
// (a reload is built and validated there while the old version keeps running, then swapped between
// events); the plugins of one `worker_group` share one worker, where a reload is a new version beside the
// old one.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "plugins/plugin.h"
#include "worker/worker_process.h"

namespace sgeventd::worker {

// How one plugin is to run, by its name (the file name without .py or .so).
struct ProcessPlacement {
  std::string group;  // "": a worker of its own
  std::optional<std::int64_t> memoryLimit;
  std::optional<std::int64_t> maxEvents;
};

struct ProcessLoaderOptions {
  std::filesystem::path executable = "/proc/self/exe";
  std::string configPath;
  // nullopt: the plugin runs in the daemon's threads (the next loader takes it).
  std::function<std::optional<ProcessPlacement>(const std::string& pluginName)> placement;
  WorkerDeps deps;
  std::chrono::milliseconds startTimeout{30000};
};

class ProcessLoader final : public plugins::PluginLoader {
 public:
  explicit ProcessLoader(ProcessLoaderOptions options) : options_(std::move(options)) {}

  bool handles(const std::filesystem::path& file) const override;
  Expected<plugins::PluginPtr> load(const plugins::PluginId& id,
                                    const plugins::HostContext& context) override;

 private:
  std::shared_ptr<WorkerProcess> workerFor(const plugins::PluginId& id, const ProcessPlacement& placement);

  ProcessLoaderOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<WorkerProcess>> groups_;  // live as long as the loader
};

}  // namespace sgeventd::worker
