#pragma once
// The bootstrap converts every api3 date-time string of an event ("2024-03-01T12:30:05Z", as its
// `_is_api3_datetime` says) into a datetime. Python's check takes any Unicode digit where this one can
// only see bytes, so both answers here are conservative: they may send a string to Python's own check,
// never miss one it would convert.
#include <string_view>

namespace sgeventd::plugins::python {

enum class DateTimeShape {
  No,     // Python's check says no
  Yes,    // an ASCII date-time: Python's check says yes
  Maybe,  // 20 characters with something beyond ASCII where a digit goes: ask Python
};

// The shape of a decoded string value (UTF-8).
DateTimeShape api3DateTimeShape(std::string_view value);

// How many string literals of `text` (JSON) may be api3 date-times, or -1 when it has \u escapes (one
// could spell a date-time no byte shows). The bootstrap's make_event skips its object hook when the only
// one is created_at.
int countApi3DateTimes(std::string_view text);

}  // namespace sgeventd::plugins::python
