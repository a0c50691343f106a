#pragma once
// The process-wide embedded interpreter: started once on the main thread, GIL released right after.
// Internal to the Python loader; pybind11 types appear only here and in the other internal headers.
#include <pybind11/embed.h>

#include "core/expected.h"
#include "plugins/python/python_loader.h"

namespace sgeventd::plugins::python {

namespace py = pybind11;

// Starts the interpreter (first call) and adds the settings' sysPath and venv entries. Takes the GIL
// itself; the caller must not hold it.
Expected<void> ensureInterpreter(const PythonSettings& settings);

// The bootstrap module (bootstrap.py); only call with the GIL held, after ensureInterpreter.
py::module_& bootstrap();

}  // namespace sgeventd::plugins::python
