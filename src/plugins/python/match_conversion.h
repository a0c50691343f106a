#pragma once
// A Python `matchEvents` value -> core::MatchSpec, with shotgunEvents' semantics (spec §3.5).
#include "core/match_events.h"
#include "plugins/python/interpreter.h"

namespace sgeventd::plugins::python {

// Falsy (None, {}, ...) matches every event; a dict maps event types to None (any attribute), a str
// (substring test) or a list/tuple/set/frozenset/dict of attribute names (membership). Anything else
// raises TypeError (py::type_error) naming the problem. Needs the GIL.
core::MatchSpec toMatchSpec(py::handle matchEvents);

}  // namespace sgeventd::plugins::python
