#include "plugins/python/match_conversion.h"

namespace sgeventd::plugins::python {
namespace {

std::string describe(py::handle value) {
  return std::string(py::str(py::type::handle_of(value).attr("__name__"))) + " " +
         std::string(py::repr(value));
}

core::MatchAttrs toAttrs(py::handle key, py::handle value) {
  if (value.is_none()) {
    return core::MatchAttrs::any();
  }
  if (py::isinstance<py::str>(value)) {
    return core::MatchAttrs::substring(value.cast<std::string>());
  }
  const bool collection = py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value) ||
                          py::isinstance<py::set>(value) || py::isinstance<py::dict>(value) ||
                          PyFrozenSet_Check(value.ptr());
  if (!collection) {
    throw py::type_error("matchEvents[" + std::string(py::repr(key)) +
                         "] must be None, a str or a list of attribute names, not a " + describe(value));
  }
  std::vector<std::string> members;
  std::size_t nonStrings = 0;
  for (py::handle item : value) {  // a dict iterates its keys, as Python's `in` tests them
    if (py::isinstance<py::str>(item)) {
      members.push_back(item.cast<std::string>());
    } else {
      ++nonStrings;
    }
  }
  return core::MatchAttrs::list(std::move(members), nonStrings);
}

}  // namespace

core::MatchSpec toMatchSpec(py::handle matchEvents) {
  if (!py::isinstance<py::dict>(matchEvents)) {
    const int truthy = PyObject_IsTrue(matchEvents.ptr());
    if (truthy < 0) {
      throw py::error_already_set();
    }
    if (truthy == 0) {
      return core::MatchSpec::all();
    }
    throw py::type_error(
        "matchEvents must be a dict mapping event types to attribute names (or None to match every "
        "event), not a " +
        describe(matchEvents));
  }
  auto dict = py::reinterpret_borrow<py::dict>(matchEvents);
  if (dict.empty()) {
    return core::MatchSpec::all();
  }
  core::MatchSpec spec;
  spec.matchAll = false;
  for (auto [key, value] : dict) {
    auto attrs = toAttrs(key, value);
    if (py::isinstance<py::str>(key)) {  // other keys can never equal an event type
      spec.byEventType[key.cast<std::string>()] = std::move(attrs);
    }
  }
  return spec;
}

}  // namespace sgeventd::plugins::python
