#pragma once
// The plugin loaders of one process, the daemon's or a worker's, from the config: the native loader,
// the Python loader (the interpreter starts here: call on the main thread, before other threads run
// plugins) and the connection factory callbacks get. Shared so a plugin finds the same world in both.
#include <functional>
#include <string>
#include <vector>

#include "config/daemon_config.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "plugins/catalog.h"
#include "plugins/plugin.h"
#include "shotgrid/client.h"

namespace sgeventd::app {

struct PluginLoaders {
  plugins::HostContext host;
  std::vector<plugins::PluginLoaderPtr> loaders;
  std::string pythonError;      // why Python plugins cannot load here; "" when they can
  bool pythonDeferred = false;  // no *.py plugin at start: the interpreter starts with the first one
};

// The log hears retry bursts (a storm of 502s or resets is otherwise silent), and the stop request cuts
// a retry wait short (a Retry-After of minutes must not hold the shutdown).
shotgrid::ClientOptions clientOptions(const config::DaemonConfig& c, const std::string& name,
                                      const std::string& key, core::LoggerPtr log, core::Shutdown& shutdown);

// [plugins] paths, each with the folder it resolved to, as the catalog scans them.
std::vector<plugins::PluginPath> pluginPaths(const config::DaemonConfig& c);

// `setLevel` is told when a Python logger lets through what the C++ logger of that name would drop.
PluginLoaders makePluginLoaders(const config::DaemonConfig& c, core::LogFactoryPtr logs, core::LoggerPtr log,
                                core::Shutdown& shutdown,
                                std::function<void(const std::string&, core::LogLevel)> setLevel);

}  // namespace sgeventd::app
