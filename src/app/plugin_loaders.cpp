#include "app/plugin_loaders.h"

#include <filesystem>

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

namespace {

bool anyPythonPlugin(const std::vector<std::string>& folders) {
  for (const auto& folder : folders) {
    std::error_code error;
    for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end;
         it.increment(error)) {
      if (it->path().extension() == ".py") {
        return true;
      }
    }
  }
  return false;
}

// With no *.py plugin at start, the interpreter (about 12 MiB with its heap) starts only when one appears.
// Loads happen on the thread that refreshes the catalog, which is the main thread (engine start and the
// daemon's loop), as the interpreter needs.
class DeferredPythonLoader final : public plugins::PluginLoader {
 public:
  explicit DeferredPythonLoader(plugins::python::PythonSettings settings) : settings_(std::move(settings)) {}

  bool handles(const std::filesystem::path& file) const override { return file.extension() == ".py"; }

  Expected<plugins::PluginPtr> load(const plugins::PluginId& id,
                                    const plugins::HostContext& context) override {
    if (!loader_) {
      auto started = plugins::python::makePythonLoader(settings_);
      if (!started) {
        return fail("Python plugins are disabled: " + started.error().message,
                    static_cast<int>(plugins::LoadErrorKind::Load));
      }
      loader_ = std::move(*started);
    }
    return loader_->load(id, context);
  }

 private:
  plugins::python::PythonSettings settings_;
  plugins::PluginLoaderPtr loader_;
};

}  // namespace

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
  if (!anyPythonPlugin(c.resolvedPluginPaths)) {
    out.loaders.push_back(std::make_unique<DeferredPythonLoader>(std::move(python)));
    out.pythonDeferred = true;
    return out;
  }
  if (auto pythonLoader = plugins::python::makePythonLoader(python); pythonLoader) {
    out.loaders.push_back(std::move(*pythonLoader));
  } else {
    out.pythonError = pythonLoader.error().message;
  }
  return out;
}

std::vector<plugins::PluginPath> pluginPaths(const config::DaemonConfig& c) {
  std::vector<plugins::PluginPath> out;
  for (std::size_t i = 0; i < c.pluginPaths.size(); ++i) {
    out.push_back(
        {c.pluginPaths[i], i < c.resolvedPluginPaths.size() ? c.resolvedPluginPaths[i] : c.pluginPaths[i]});
  }
  return out;
}

}  // namespace sgeventd::app
