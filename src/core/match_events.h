#pragma once
// `matchEvents` as shotgunEvents evaluates it (spec original-daemon.md §3.5), quirks included:
// a "*" key shadows every other key, a string value is a substring test, a list is membership.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"

namespace sgeventd::core {

// The value stored under one event type.
struct MatchAttrs {
  enum class Kind {
    Any,        // Python None: every attribute, and events without one
    Substring,  // a str value: `attribute_name in value` is a substring test
    Members,    // a list/tuple/set/dict-keys value: membership
  };
  Kind kind = Kind::Any;
  std::string text;                  // Kind::Substring
  std::vector<std::string> members;  // Kind::Members, the string elements
  // Non-string members (calc_field's `["id", 1]`) can never equal an attribute name, but "*"
  // detection and emptiness still count them; only their number is kept.
  std::size_t nonStringMembers = 0;

  static MatchAttrs any() { return {}; }
  static MatchAttrs substring(std::string s) { return {Kind::Substring, std::move(s), {}, 0}; }
  static MatchAttrs list(std::vector<std::string> items, std::size_t nonStrings = 0) {
    return {Kind::Members, {}, std::move(items), nonStrings};
  }
};

struct MatchSpec {
  // A falsy matchEvents (None, {}) matches every event.
  bool matchAll = true;
  std::map<std::string, MatchAttrs> byEventType;  // includes the "*" key when present

  static MatchSpec all() { return {}; }
};

bool matchesEvent(const MatchSpec& spec, const std::string& eventType,
                  const std::optional<std::string>& attributeName);
inline bool matchesEvent(const MatchSpec& spec, const Event& event) {
  return matchesEvent(spec, event.eventType, event.attributeName);
}

}  // namespace sgeventd::core
