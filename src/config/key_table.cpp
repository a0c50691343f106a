#include "config/key_table.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "config/ini_file.h"
#include "config/python_numbers.h"

namespace sgeventd::config {

namespace fs = std::filesystem;

namespace {

// 0.001 rather than 0.001000: range messages show the bounds as a person writes them.
std::string trimmed(double v) {
  std::string s = std::to_string(v);
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    const bool dot = s.back() == '.';
    s.pop_back();
    if (dot) {
      break;
    }
  }
  return s;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return out;
}

// "full or normal", "transient, any or never".
std::string alternatives(const std::vector<std::string_view>& choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) {
      out += i + 1 == choices.size() ? " or " : ", ";
    }
    out += choices[i];
  }
  return out;
}

}  // namespace

std::string Parser::describe() const {
  switch (kind) {
    case Kind::Text:
    case Kind::NonEmptyText:
      return "text";
    case Kind::Integer:
      return "integer " + std::to_string(minInt) + " to " + std::to_string(maxInt);
    case Kind::Seconds:
      return "seconds " + trimmed(minSeconds) + " to " + trimmed(maxSeconds);
    case Kind::Boolean:
      return "boolean";
    case Kind::Choice:
      return alternatives(choices);
    case Kind::Misplaced:
      return "not used here";
  }
  return "text";
}

std::chrono::milliseconds Value::millis() const {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

void KeyContext::error(std::string message) const {
  report_.errors.push_back(ConfigError{fileName_, line_, std::string(key_), std::move(message)});
}

void KeyContext::warning(std::string message) const {
  report_.warnings.push_back(ConfigError{fileName_, line_, std::string(key_), std::move(message)});
}

std::string KeyContext::resolve(const std::string& path) const {
  if (!path.empty() && path[0] == '~') {
    return path;  // not expanded, as the original; the error messages will show it as written
  }
  const fs::path p(path);
  return (p.is_absolute() ? p : baseDir_ / p).lexically_normal().string();
}

Expected<Value, std::string> parseValue(const Parser& parser, const std::string& text) {
  Value value;
  value.text = text;
  switch (parser.kind) {
    case Parser::Kind::Text:
    case Parser::Kind::Misplaced:
      break;
    case Parser::Kind::NonEmptyText:
      if (text.empty()) {
        return tl::unexpected(std::string("is empty"));
      }
      break;
    case Parser::Kind::Integer: {
      const auto parsed = parsePythonInt(text);
      if (!parsed && isPythonIntText(text)) {
        return tl::unexpected(inQuotes(text) + " is out of range (" + std::to_string(parser.minInt) + " to " +
                              std::to_string(parser.maxInt) + ")");
      }
      if (!parsed) {
        const bool fraction = parsePythonFloat(text).has_value();
        return tl::unexpected(inQuotes(text) + (fraction ? " is not a whole number" : " is not an integer"));
      }
      if (*parsed < parser.minInt || *parsed > parser.maxInt) {
        return tl::unexpected(inQuotes(text) + " is out of range (" + std::to_string(parser.minInt) + " to " +
                              std::to_string(parser.maxInt) + ")");
      }
      value.integer = *parsed;
      break;
    }
    case Parser::Kind::Seconds: {
      const auto parsed = parsePythonFloat(text);
      if (!parsed) {
        return tl::unexpected(inQuotes(text) + " is not a number");
      }
      if (!std::isfinite(*parsed) || *parsed < parser.minSeconds || *parsed > parser.maxSeconds) {
        return tl::unexpected(inQuotes(text) + " is out of range (" + trimmed(parser.minSeconds) + " to " +
                              trimmed(parser.maxSeconds) + ")");
      }
      value.seconds = *parsed;
      break;
    }
    case Parser::Kind::Boolean: {
      const auto parsed = parsePythonBool(text);
      if (!parsed) {
        return tl::unexpected(inQuotes(text) + " is not a boolean (use 1/yes/true/on or 0/no/false/off)");
      }
      value.boolean = *parsed;
      break;
    }
    case Parser::Kind::Choice: {
      const std::string chosen = lower(text);
      if (std::find(parser.choices.begin(), parser.choices.end(), chosen) == parser.choices.end()) {
        return tl::unexpected(inQuotes(text) + " is not " + alternatives(parser.choices));
      }
      value.choice = chosen;
      break;
    }
  }
  return value;
}

bool SectionReader::present() const { return ini_.hasSection(section_); }

bool SectionReader::has(std::string_view key) const { return ini_.hasOption(section_, key); }

int SectionReader::line(std::string_view key) const { return ini_.lineOf(section_, key); }

void SectionReader::error(int line, std::string key, std::string message) {
  report_.errors.push_back(ConfigError{ini_.fileName(), line, std::move(key), std::move(message)});
}

void SectionReader::warning(int line, std::string key, std::string message) {
  report_.warnings.push_back(ConfigError{ini_.fileName(), line, std::move(key), std::move(message)});
}

KeyContext SectionReader::context(std::string_view key) const {
  return KeyContext(ini_.fileName(), line(key), key, baseDir_, config_, report_);
}

Expected<Value, SectionReader::Outcome> SectionReader::parse(std::string_view key, Need need,
                                                             const Parser& parser) {
  if (!ini_.hasOption(section_, key)) {
    if (need == Need::Required) {
      error(0, std::string(key), "required key is missing from [" + section_ + "]");
    }
    return tl::unexpected(Outcome::Absent);
  }
  if (parser.kind == Parser::Kind::Misplaced) {
    // Not interpolated: an unset %(VAR)s in a key that means nothing here is no reason to fail.
    warning(line(key), std::string(key), std::string(parser.note));
    return tl::unexpected(Outcome::Absent);
  }
  auto text = ini_.get(section_, key);
  if (!text) {
    report_.errors.push_back(text.error().error);
    return tl::unexpected(Outcome::Invalid);
  }
  auto value = parseValue(parser, *text);
  if (!value) {
    error(line(key), std::string(key), std::move(value.error()));
    return tl::unexpected(Outcome::Invalid);
  }
  return std::move(*value);
}

void SectionReader::warnUnknown(const std::vector<std::string_view>& known) {
  std::set<std::string, std::less<>> names;
  for (const auto name : known) {
    names.insert(lower(name));
  }
  for (const auto& key : ini_.ownOptions(section_)) {
    if (names.count(key) == 0) {
      warning(line(key), key, "unknown key in [" + section_ + "] (ignored)");
    }
  }
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) {
      comma = text.size();
    }
    const std::string_view entry = stripPython(std::string_view(text).substr(start, comma - start));
    if (!entry.empty()) {
      out.emplace_back(entry);
    }
    start = comma + 1;
  }
  return out;
}

std::string inQuotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace sgeventd::config
