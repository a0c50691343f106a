#include "app/process_isolation.h"

#include "worker/process_loader.h"

namespace sgeventd::app {

const config::IsolationSettings& isolationOf(const config::DaemonConfig& c, const std::string& pluginName) {
  const auto it = c.pluginOverrides.find(pluginName);
  if (it != c.pluginOverrides.end() && it->second.isolation) {
    return *it->second.isolation;
  }
  return c.isolation;
}

plugins::PluginLoaderPtr makeProcessLoader(const config::DaemonConfig& c, core::LogFactoryPtr logs,
                                           std::function<void(const std::string&, core::LogLevel)> setLevel,
                                           std::function<bool(const std::string&)> crashIsolated) {
  worker::ProcessLoaderOptions o;
  o.configPath = c.sourceFile;
  o.deps.logs = std::move(logs);
  o.deps.setLevel = std::move(setLevel);
  o.placement = [&c, crashIsolated = std::move(crashIsolated)](
                    const std::string& name) -> std::optional<worker::ProcessPlacement> {
    const auto& isolation = isolationOf(c, name);
    if (!isolation.process && !(crashIsolated && crashIsolated(name))) {
      return std::nullopt;
    }
    return worker::ProcessPlacement{isolation.workerGroup, isolation.memoryLimit, isolation.maxEvents};
  };
  return std::make_unique<worker::ProcessLoader>(std::move(o));
}

}  // namespace sgeventd::app
