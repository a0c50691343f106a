#pragma once
// The PluginLoader for shotgunEvents Python plugins (*.py), run unchanged in an embedded CPython 3.11.
//
// The interpreter is process-wide: the first makePythonLoader() starts it (it MUST run on the main
// thread, before any lane thread calls invoke()), releases the GIL and keeps it running until
// finalizePython() at process exit. Later makePythonLoader() calls reuse it and only add their
// sysPath / venv entries. See docs/python-plugins.md.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.h"
#include "core/log.h"
#include "plugins/plugin.h"

namespace sgeventd::plugins::python {

struct PythonSettings {
  std::vector<std::string> sysPath;  // prepended to sys.path once, in this order
  std::optional<std::string> venv;   // a virtualenv folder: its site-packages is added (with .pth files)
  // For a real shotgun_api3.Shotgun(server, name, key, http_proxy=...) when `import shotgun_api3` works.
  std::string server;
  std::optional<std::string> httpProxy;
  // The configured `logging` level, given to each Python `plugin.<name>` logger the first time it loads.
  core::LogLevel level = core::LogLevel::Info;
  // Called when a Python logger lets through a record the C++ logger of the same name would drop (the
  // plugin lowered its level with logger.setLevel): the daemon passes FileLogFactory::setLevel here.
  std::function<void(const std::string& loggerName, core::LogLevel level)> setLogLevel;
};

// Starts the interpreter on first use (main thread!). Fails when Python cannot start or the bootstrap
// code cannot be imported.
Expected<PluginLoaderPtr> makePythonLoader(PythonSettings settings);

// Whether the embedded interpreter is running.
bool pythonRunning();

// Finalizes the interpreter. Call once at process exit, on the main thread, after every Python plugin
// and loader is gone and no thread is inside invoke(). Never restart it afterwards.
void finalizePython();

}  // namespace sgeventd::plugins::python
