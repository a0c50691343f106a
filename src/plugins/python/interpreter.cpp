#include "plugins/python/interpreter.h"

#include <Python.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string_view>

namespace sgeventd::plugins::python {

extern const std::string_view kBootstrapSource;
void keepEmbeddedModule();

namespace {

struct InterpreterState {
  std::mutex mutex;  // guards started/finalized; never held while taking the GIL
  bool started = false;
  bool finalized = false;
  std::atomic<bool> running{false};     // read without the mutex (plugin destructors, any thread)
  PyThreadState* mainThread = nullptr;  // saved by PyEval_SaveThread right after start
  py::module_* bootstrap = nullptr;     // leaked on purpose: destroyed by finalizePython only
};

InterpreterState& state() {
  static auto* instance = new InterpreterState();
  return *instance;
}

// Prepends sysPath (in order) and the venv's site-packages (with its .pth files). Needs the GIL.
Expected<void> addPaths(const PythonSettings& settings) {
  try {
    py::module_ sys = py::module_::import("sys");
    py::list path = sys.attr("path");
    for (auto it = settings.sysPath.rbegin(); it != settings.sysPath.rend(); ++it) {
      if (!path.contains(py::str(*it))) {
        path.insert(0, py::str(*it));
      }
    }
    if (settings.venv) {
      const auto sitePackages =
          std::filesystem::path(*settings.venv) / "lib" /
          ("python" + std::to_string(PY_MAJOR_VERSION) + "." + std::to_string(PY_MINOR_VERSION)) /
          "site-packages";
      std::error_code error;
      if (!std::filesystem::is_directory(sitePackages, error)) {
        return fail("the Python venv " + *settings.venv + " has no " + sitePackages.string());
      }
      py::module_::import("site").attr("addsitedir")(sitePackages.string());
    }
  } catch (const py::error_already_set& error) {
    return fail(std::string("could not set up sys.path: ") + error.what());
  }
  return {};
}

Expected<void> startLocked(InterpreterState& s) {
  keepEmbeddedModule();
  // No Python signal handlers: the daemon owns SIGINT/SIGTERM, and KeyboardInterrupt stays out of it.
  try {
    py::initialize_interpreter(false, 0, nullptr, false);
  } catch (const std::exception& error) {
    return fail(std::string("could not start the Python interpreter: ") + error.what());
  }
  try {
    py::module_::import("sys").attr("argv") = py::list(py::make_tuple("sgeventd"));
    py::module_ module = py::module_::import("types").attr("ModuleType")("_sgeventd_bootstrap");
    module.attr("__file__") = "<sgeventd bootstrap>";
    py::module_::import("sys").attr("modules")["_sgeventd_bootstrap"] = module;
    py::module_ builtins = py::module_::import("builtins");
    py::object code = builtins.attr("compile")(py::str(kBootstrapSource.data(), kBootstrapSource.size()),
                                               "<sgeventd bootstrap>", "exec");
    builtins.attr("exec")(code, module.attr("__dict__"));
    s.bootstrap = new py::module_(std::move(module));
  } catch (const py::error_already_set& error) {
    return fail(std::string("could not run the Python bootstrap code: ") + error.what());
  }
  return {};
}

}  // namespace

Expected<void> ensureInterpreter(const PythonSettings& settings) {
  auto& s = state();
  {
    std::lock_guard lock(s.mutex);
    if (s.finalized) {
      return fail("the Python interpreter was finalized; it cannot be restarted");
    }
    if (!s.started) {
      auto started = startLocked(s);
      if (!started) {
        if (Py_IsInitialized()) {
          s.mainThread = PyEval_SaveThread();
          s.started = true;
          s.running = true;  // keep it: re-initializing after a failure is worse than a dead bootstrap
        }
        return started;
      }
      auto paths = addPaths(settings);
      s.mainThread = PyEval_SaveThread();  // the GIL is free from now on; invoke() takes it per call
      s.started = true;
      s.running = true;
      return paths;
    }
  }
  py::gil_scoped_acquire gil;
  if (s.bootstrap == nullptr) {
    return fail("the Python bootstrap code failed to load earlier");
  }
  return addPaths(settings);
}

py::module_& bootstrap() { return *state().bootstrap; }

bool pythonRunning() { return state().running.load(); }

void finalizePython() {
  auto& s = state();
  {
    std::lock_guard lock(s.mutex);
    if (!s.started || s.finalized) {
      return;
    }
    s.finalized = true;
    s.running = false;
  }
  PyEval_RestoreThread(s.mainThread);  // the GIL, taken without holding our mutex
  delete s.bootstrap;
  s.bootstrap = nullptr;
  py::finalize_interpreter();
}

}  // namespace sgeventd::plugins::python
