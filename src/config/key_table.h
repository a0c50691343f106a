#pragma once
// The machinery of the config's key tables. Each section file (section_*.cpp) declares its keys as one
// table: the name as documented, whether it is required, how its text is parsed, its default, what it
// means, and a store function that puts the parsed value where it lands in DaemonConfig. The reader runs
// the table in order, so errors come out in the order of the table, each as "file:line: key: message",
// and a key of the section that no table names is an "unknown key" warning.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/daemon_config.h"

namespace sgeventd::config {

class IniFile;

enum class Need { Required, Optional };

// How a key's text becomes a value, with the error messages of each kind.
struct Parser {
  enum class Kind {
    Text,          // as written (after interpolation)
    NonEmptyText,  // "is empty" when blank
    Integer,       // Python int(), within [minInt, maxInt]
    Seconds,       // Python float(), within [minSeconds, maxSeconds]; stored as a duration
    Boolean,       // ConfigParser.getboolean()
    Choice,        // one of `choices`, any case; stored lower case
    Misplaced,     // known but meaningless here: its presence is the warning `note`, its value is not read
  };
  Kind kind = Kind::Text;
  std::int64_t minInt = 0;
  std::int64_t maxInt = 0;
  double minSeconds = 0;
  double maxSeconds = 0;
  std::vector<std::string_view> choices;
  std::string_view note;

  static Parser text() { return {}; }
  static Parser nonEmptyText() { return {.kind = Kind::NonEmptyText}; }
  static Parser integer(std::int64_t min, std::int64_t max) {
    return {.kind = Kind::Integer, .minInt = min, .maxInt = max};
  }
  static Parser seconds(double min, double max) {
    return {.kind = Kind::Seconds, .minSeconds = min, .maxSeconds = max};
  }
  static Parser boolean() { return {.kind = Kind::Boolean}; }
  static Parser choice(std::vector<std::string_view> choices) {
    return {.kind = Kind::Choice, .choices = std::move(choices)};
  }
  static Parser misplaced(std::string_view note) { return {.kind = Kind::Misplaced, .note = note}; }

  // "integer 1 to 2147483647", "seconds", "one of transient, any, never": for the key reference.
  std::string describe() const;
};

inline constexpr std::int64_t kIntMax = 2147483647;
inline constexpr double kMaxSeconds = 365.0 * 24 * 3600;

// A parsed value; the field of the parser's kind is set (`text` always holds the text as read).
struct Value {
  std::string text;
  std::int64_t integer = 0;
  double seconds = 0;
  bool boolean = false;
  std::string choice;  // lower case

  std::chrono::milliseconds millis() const;
};

// What a store function may use: the key's place in the file, the config built so far, and the findings.
class KeyContext {
 public:
  KeyContext(std::string fileName, int line, std::string_view key, const std::filesystem::path& baseDir,
             const DaemonConfig& config, ConfigReport& report)
      : fileName_(std::move(fileName)),
        line_(line),
        key_(key),
        baseDir_(baseDir),
        config_(config),
        report_(report) {}

  int line() const { return line_; }
  const DaemonConfig& config() const { return config_; }  // what earlier keys and sections set
  void error(std::string message) const;                  // "file:line: key: message"
  void warning(std::string message) const;
  // Relative to the config file's folder; "~" is kept as written, as the original does not expand it.
  std::string resolve(const std::string& path) const;

 private:
  std::string fileName_;
  int line_;
  std::string_view key_;
  const std::filesystem::path& baseDir_;
  const DaemonConfig& config_;
  ConfigReport& report_;
};

template <class Target>
struct Key {
  std::string_view name;  // as documented (pidFile); matched case-insensitively
  Need need;
  Parser parser;
  // What a file could write to change nothing; empty when the key is required or its default is derived
  // (the description says from what).
  std::string_view defaultValue;
  std::string_view description;
  // Puts the value where it lands; null when the section's loader reads the value itself.
  void (*store)(const Value& value, Target& target, const KeyContext& context);
};

// Parses `text` as `parser` says: the value, or the error message for "key: message".
Expected<Value, std::string> parseValue(const Parser& parser, const std::string& text);

// Reads the keys of one section of one file, recording every problem in the report.
class SectionReader {
 public:
  enum class Outcome { Absent, Invalid, Stored };

  SectionReader(const IniFile& ini, ConfigReport& report, const std::filesystem::path& baseDir,
                std::string section, const DaemonConfig& config)
      : ini_(ini), report_(report), baseDir_(baseDir), section_(std::move(section)), config_(config) {}

  const std::string& section() const { return section_; }
  bool present() const;
  bool has(std::string_view key) const;
  int line(std::string_view key) const;
  // A finding not tied to one key's value ("section [plugins] is missing" has line 0 and no key).
  void error(int line, std::string key, std::string message);
  void warning(int line, std::string key, std::string message);

  // Parses one key (with `need` overriding the table's) and, when it is valid, stores it.
  template <class Target>
  Outcome read(const Key<Target>& key, Target& target, std::optional<Need> need = std::nullopt) {
    auto value = parse(key.name, need.value_or(key.need), key.parser);
    if (!value) {
      return value.error();
    }
    if (key.store != nullptr) {
      key.store(*value, target, context(key.name));
    }
    return Outcome::Stored;
  }
  // Parses one key without storing it, for a loader that decides what it means.
  Expected<Value, Outcome> value(std::string_view key, Need need, const Parser& parser) {
    return parse(key, need, parser);
  }
  template <class Target>
  void readAll(const std::vector<Key<Target>>& keys, Target& target) {
    for (const auto& key : keys) {
      read(key, target);
    }
  }
  // Warns about every key of the section that `keys` does not name.
  template <class Target>
  void warnUnknownKeys(const std::vector<Key<Target>>& keys) {
    std::vector<std::string_view> names;
    names.reserve(keys.size());
    for (const auto& key : keys) {
      names.push_back(key.name);
    }
    warnUnknown(names);
  }

  // The same for a section read through two tables.
  template <class A, class B>
  void warnUnknownKeys(const std::vector<Key<A>>& first, const std::vector<Key<B>>& second) {
    std::vector<std::string_view> names;
    for (const auto& key : first) {
      names.push_back(key.name);
    }
    for (const auto& key : second) {
      names.push_back(key.name);
    }
    warnUnknown(names);
  }

  KeyContext context(std::string_view key) const;

 private:
  Expected<Value, Outcome> parse(std::string_view key, Need need, const Parser& parser);
  void warnUnknown(const std::vector<std::string_view>& known);

  const IniFile& ini_;
  ConfigReport& report_;
  const std::filesystem::path& baseDir_;
  std::string section_;
  const DaemonConfig& config_;
};

// Finds a key of a table by its documented name (a programming error when absent).
template <class Target>
const Key<Target>& keyNamed(const std::vector<Key<Target>>& keys, std::string_view name) {
  for (const auto& key : keys) {
    if (key.name == name) {
      return key;
    }
  }
  std::abort();
}

// "a, b" -> {"a", "b"}: Python's split(",") with each entry stripped, blanks dropped.
std::vector<std::string> splitList(const std::string& text);
std::string inQuotes(std::string_view text);

}  // namespace sgeventd::config
