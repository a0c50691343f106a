#include "app/load_config.h"

#include <iostream>

namespace sgeventd::app {

std::optional<config::DaemonConfig> loadConfigForCommand(const CommandLine& cl) {
  const auto env = config::processEnvironment();
  auto path = config::locateConfig(cl.configPath, env, cl.argv0);
  if (!path) {
    std::cerr << "sgeventd: " << path.error() << "\n";
    return std::nullopt;
  }
  auto loaded = config::loadDaemonConfig(*path, env);
  if (!loaded) {
    for (const auto& e : loaded.error()) {
      std::cerr << e.describe() << "\n";
    }
    std::cerr << "sgeventd: " << loaded.error().size() << " error(s) in " << *path
              << "; `sgeventd check-config` lists them too.\n";
    return std::nullopt;
  }
  return std::move(*loaded);
}

}  // namespace sgeventd::app
