#pragma once
// Python's int(), float() and ConfigParser.getboolean() text rules, for values written for the original.
#include <cstdint>
#include <optional>
#include <string_view>

namespace sgeventd::config {

// int(text): surrounding whitespace, optional sign, decimal digits with single '_' between digits.
// nullopt when Python would raise, or when the value does not fit in 64 bits.
std::optional<std::int64_t> parsePythonInt(std::string_view text);
// True when Python's int(text) would accept it, however many digits: tells "too big" from "not a number".
bool isPythonIntText(std::string_view text);
// float(text): as int() plus a fraction, an exponent, "inf"/"infinity"/"nan" in any case.
std::optional<double> parsePythonFloat(std::string_view text);
// getboolean(): 1/yes/true/on and 0/no/false/off, any case, no whitespace allowed.
std::optional<bool> parsePythonBool(std::string_view text);

// ASCII subset of Python's str.isspace() (Unicode spaces such as U+00A0 are not stripped).
bool isPythonSpace(char c);
std::string_view stripPython(std::string_view text);

}  // namespace sgeventd::config
