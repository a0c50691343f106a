#pragma once
// Which plugins run in worker processes, from the config's isolation keys, and the loader that starts
// those workers (src/worker/).
#include <functional>
#include <string>

#include "config/daemon_config.h"
#include "core/log.h"
#include "plugins/plugin.h"

namespace sgeventd::app {

// A plugin's isolation settings: its [plugin:NAME] section's, else the [daemon] defaults.
const config::IsolationSettings& isolationOf(const config::DaemonConfig& c, const std::string& pluginName);

// `crashIsolated`: also in a worker process, the plugins that crashed the daemon with on_crash = isolate
// (app/crash_recovery.h); empty: none.
plugins::PluginLoaderPtr makeProcessLoader(const config::DaemonConfig& c, core::LogFactoryPtr logs,
                                           std::function<void(const std::string&, core::LogLevel)> setLevel,
                                           std::function<bool(const std::string&)> crashIsolated = {});

}  // namespace sgeventd::app
