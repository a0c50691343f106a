#pragma once
// The bootstrap's make_event converts every api3 date-time string of an event into a datetime through an
// object hook, a Python call per dict. Counting the date-time literals in the text first lets it skip the
// hook when created_at holds the only one (nearly every event): a third of the dict's cost.
#include <string_view>

namespace sgeventd::plugins::python {

// How many api3 date-time string literals ("2024-03-01T12:30:05Z", quotes included) `text` holds, or -1
// when it has \u escapes (one could spell a date-time the count cannot see).
int countApi3DateTimes(std::string_view text);

}  // namespace sgeventd::plugins::python
