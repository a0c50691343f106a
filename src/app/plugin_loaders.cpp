#include "app/plugin_loaders.h"

#include "plugins/native/native_loader.h"
#include "plugins/python/python_loader.h"

namespace sgeventd::app {

shotgrid::ClientOptions clientOptions(const config::DaemonConfig& c, const std::string& name,
                                      const std::string& key, core::LoggerPtr log, core::Shutdown& shutdown) {
  shotgrid::ClientOptions o;
  o.logger = std::move(log);
  o.shutdown = &shutdown;
  o.server = c.server;
  o.auth.scriptName = name;
  o.auth.scriptKey = key;
  o.httpProxy = c.proxyServer;
  o.caPath = c.caCerts;
  o.verifyTls = c.verifyTls;
  o.connectTimeout = c.connectTimeout;
  o.totalTimeout = c.requestTimeout;
  return o;
}

PluginLoaders makePluginLoaders(const config::DaemonConfig& c, core::LogFactoryPtr logs, core::LoggerPtr log,
                                core::Shutdown& shutdown,
                                std::function<void(const std::string&, core::LogLevel)> setLevel) {
  PluginLoaders out;
  out.host.logs = std::move(logs);
  out.host.useSessionUuid = c.useSessionUuid;
  out.host.makeClient = [&c, log, &shutdown](const std::string& name, const std::string& key) {
    return std::make_unique<shotgrid::Client>(clientOptions(c, name, key, log, shutdown));
  };
  out.loaders.push_back(plugins::native::makeNativeLoader());
  // Without Python's signal handlers (the daemon's signal thread owns the signals); the GIL is released
  // at once so lanes can take it per call.
  plugins::python::PythonSettings python;
  python.sysPath = c.pythonPath;
  python.venv = c.pythonVenv;
  python.server = c.server;
  python.httpProxy = c.proxyServer;
  python.level = static_cast<core::LogLevel>(c.logLevel);
  python.setLogLevel = std::move(setLevel);
  if (auto pythonLoader = plugins::python::makePythonLoader(python); pythonLoader) {
    out.loaders.push_back(std::move(*pythonLoader));
  } else {
    out.pythonError = pythonLoader.error().message;
  }
  return out;
}

}  // namespace sgeventd::app
