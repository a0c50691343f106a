#include "config/python_numbers.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace sgeventd::config {

bool isPythonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         (c >= 0x1c && c <= 0x1f);
}

std::string_view stripPython(std::string_view text) {
  while (!text.empty() && isPythonSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && isPythonSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Consumes digits with single underscores between digits ("1_000"); appends the digits to `out`.
// Returns false when the run is malformed; `pos` is left after the run.
bool takeDigits(std::string_view s, std::size_t& pos, std::string& out) {
  if (pos >= s.size() || !isDigit(s[pos])) {
    return false;
  }
  while (pos < s.size()) {
    if (isDigit(s[pos])) {
      out += s[pos++];
    } else if (s[pos] == '_' && pos + 1 < s.size() && isDigit(s[pos + 1])) {
      ++pos;
    } else {
      break;
    }
  }
  return true;
}

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> parsePythonInt(std::string_view text) {
  std::string_view s = stripPython(text);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::size_t pos = 0;
  std::string digits = negative ? "-" : "";
  if (!takeDigits(s, pos, digits) || pos != s.size()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return value;
}

bool isPythonIntText(std::string_view text) {
  std::string_view s = stripPython(text);
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    s.remove_prefix(1);
  }
  std::size_t pos = 0;
  std::string digits;
  return takeDigits(s, pos, digits) && pos == s.size();
}

std::optional<double> parsePythonFloat(std::string_view text) {
  std::string_view s = stripPython(text);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const std::string word = lowerAscii(s);
  if (word == "inf" || word == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (word == "nan") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::string cleaned;
  std::size_t pos = 0;
  const bool hasInt = takeDigits(s, pos, cleaned);
  bool hasFrac = false;
  if (pos < s.size() && s[pos] == '.') {
    cleaned += '.';
    ++pos;
    if (pos < s.size() && isDigit(s[pos])) {
      hasFrac = takeDigits(s, pos, cleaned);
    }
  }
  if (!hasInt && !hasFrac) {
    return std::nullopt;
  }
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    cleaned += 'e';
    ++pos;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      cleaned += s[pos++];
    }
    if (!takeDigits(s, pos, cleaned)) {
      return std::nullopt;
    }
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(cleaned.data(), cleaned.data() + cleaned.size(), value);
  // Python gives inf for overflow and 0 for underflow; from_chars reports range errors instead.
  if (ec == std::errc::result_out_of_range) {
    const auto e = cleaned.find('e');
    const bool tiny = e != std::string::npos && cleaned.find('-', e) != std::string::npos;
    value = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc() || end != cleaned.data() + cleaned.size()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

std::optional<bool> parsePythonBool(std::string_view text) {
  const std::string word = lowerAscii(text);
  if (word == "1" || word == "yes" || word == "true" || word == "on") {
    return true;
  }
  if (word == "0" || word == "no" || word == "false" || word == "off") {
    return false;
  }
  return std::nullopt;
}

}  // namespace sgeventd::config
