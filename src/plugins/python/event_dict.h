#pragma once
// The event dict a Python callback gets, built in C++ from the site's JSON text with simdjson: what
// `json.loads(text, object_hook=...)` in the bootstrap builds (the same keys in the same order, the same
// types and values, every api3 date-time string a tz-aware local datetime), at a fraction of its cost.
// Only text it can decode exactly that way is taken: it returns nothing for text with \u escapes, numbers
// beyond 64 bits or out of float range, invalid UTF-8, nesting past kMaxDepth, or anything simdjson
// refuses, and the caller then asks the bootstrap.
#include <optional>
#include <string_view>

#include "plugins/python/interpreter.h"

namespace sgeventd::plugins::python {

inline constexpr int kMaxEventDictDepth = 32;

// `toLocal(text)` makes a datetime of an api3 date-time string; `isDateTime(text)` is Python's own check,
// asked only for strings this side cannot judge by their bytes. Needs the GIL.
std::optional<py::object> buildEventDict(std::string_view json, const py::object& toLocal,
                                         const py::object& isDateTime);

}  // namespace sgeventd::plugins::python
