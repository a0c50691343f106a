#include "core/match_events.h"

#include <algorithm>

namespace sgeventd::core {
namespace {

bool containsStar(const MatchAttrs& attrs) {
  switch (attrs.kind) {
    case MatchAttrs::Kind::Any:
      return true;
    case MatchAttrs::Kind::Substring:
      return attrs.text.find('*') != std::string::npos;
    case MatchAttrs::Kind::Members:
      return std::find(attrs.members.begin(), attrs.members.end(), "*") != attrs.members.end();
  }
  return false;
}

bool containsAttribute(const MatchAttrs& attrs, const std::string& name) {
  switch (attrs.kind) {
    case MatchAttrs::Kind::Any:
      return true;
    case MatchAttrs::Kind::Substring:
      return attrs.text.find(name) != std::string::npos;
    case MatchAttrs::Kind::Members:
      return std::find(attrs.members.begin(), attrs.members.end(), name) != attrs.members.end();
  }
  return false;
}

}  // namespace

bool matchesEvent(const MatchSpec& spec, const std::string& eventType,
                  const std::optional<std::string>& attributeName) {
  if (spec.matchAll) {
    return true;
  }
  const MatchAttrs* attrs = nullptr;
  if (auto star = spec.byEventType.find("*"); star != spec.byEventType.end()) {
    attrs = &star->second;  // the original ignores every other key once "*" is present
  } else if (auto it = spec.byEventType.find(eventType); it != spec.byEventType.end()) {
    attrs = &it->second;
  } else {
    return false;
  }
  if (containsStar(*attrs)) {
    return true;
  }
  // Python: `attribute_name and attribute_name in attrs`; an empty name is falsy.
  return attributeName.has_value() && !attributeName->empty() && containsAttribute(*attrs, *attributeName);
}

}  // namespace sgeventd::core
