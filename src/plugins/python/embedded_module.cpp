// The `_sgeventd` module the bootstrap code imports: logging into the daemon, matchEvents conversion
// and the C++ ShotGrid connection.
#include "plugins/python/connection.h"
#include "plugins/python/interpreter.h"
#include "plugins/python/log_routing.h"
#include "plugins/python/match_conversion.h"

namespace py = pybind11;
using sgeventd::core::LogLevel;
using sgeventd::core::MatchSpec;
using sgeventd::plugins::python::Connection;

PYBIND11_EMBEDDED_MODULE(_sgeventd, module) {
  module.doc() = "sgeventd's host API for the Python plugin loader (internal).";
  module.def(
      "log",
      [](const std::string& name, int level, const std::string& message, const std::string& path,
         const std::string& function, int line) {
        return sgeventd::plugins::python::logRouted(name, static_cast<LogLevel>(level), message,
                                                    {path, function, line});
      },
      py::arg("name"), py::arg("level"), py::arg("message"), py::arg("path") = "(unknown file)",
      py::arg("function") = "(unknown function)", py::arg("line") = 0,
      py::call_guard<py::gil_scoped_release>());
  module.def(
      "mirror_level",
      [](const std::string& name, int level) {
        sgeventd::plugins::python::mirrorLevel(name, static_cast<LogLevel>(level));
      },
      py::call_guard<py::gil_scoped_release>());

  py::class_<MatchSpec>(module, "MatchSpec");
  module.def("match_spec",
             [](py::handle matchEvents) { return sgeventd::plugins::python::toMatchSpec(matchEvents); });

  py::class_<Connection>(module, "Connection")
      .def("request", &Connection::request)
      .def("set_session_uuid", &Connection::setSessionUuid)
      .def_property_readonly("session_uuid", &Connection::sessionUuid)
      .def_property_readonly("server", &Connection::server)
      .def_property_readonly("script_name", &Connection::scriptName)
      .def_property_readonly("http_proxy", &Connection::httpProxy);
}

namespace sgeventd::plugins::python {
// Referenced by interpreter.cpp so the linker keeps this file (and its module registration) when the
// static library is linked.
void keepEmbeddedModule() {}
}  // namespace sgeventd::plugins::python
