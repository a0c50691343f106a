#include "plugins/native/match_spec_json.h"

#include <string>

namespace sgeventd::plugins::native {
namespace {

Expected<core::MatchAttrs> attrsFromJson(const std::string& eventType, const nlohmann::json& value) {
  if (value.is_null()) {
    return core::MatchAttrs::any();
  }
  if (value.is_string()) {
    return core::MatchAttrs::substring(value.get<std::string>());
  }
  if (value.is_array() || value.is_object()) {
    // Python's `in` on a dict tests its keys, so an object value behaves as the list of its keys.
    std::vector<std::string> names;
    std::size_t nonStrings = 0;
    if (value.is_object()) {
      for (const auto& [key, ignored] : value.items()) {
        names.push_back(key);
      }
    } else {
      for (const auto& item : value) {
        if (item.is_string()) {
          names.push_back(item.get<std::string>());
        } else {
          ++nonStrings;
        }
      }
    }
    return core::MatchAttrs::list(std::move(names), nonStrings);
  }
  return fail("matchEvents[\"" + eventType + "\"] must be null, a string or a list of attribute names, not " +
              std::string(value.type_name()));
}

}  // namespace

Expected<core::MatchSpec> matchSpecFromJson(const nlohmann::json& value) {
  if (value.is_null()) {
    return core::MatchSpec::all();
  }
  if (!value.is_object()) {
    return fail("matchEvents must be a JSON object mapping event types to attribute names (or null), not " +
                std::string(value.type_name()) + ": " + value.dump());
  }
  if (value.empty()) {
    return core::MatchSpec::all();  // {} is falsy in Python: every event matches
  }
  core::MatchSpec spec;
  spec.matchAll = false;
  for (const auto& [eventType, attrs] : value.items()) {
    auto converted = attrsFromJson(eventType, attrs);
    if (!converted) {
      return tl::unexpected(converted.error());
    }
    spec.byEventType.emplace(eventType, std::move(*converted));
  }
  return spec;
}

Expected<core::MatchSpec> matchSpecFromJson(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return core::MatchSpec::all();
  }
  auto value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) {
    return fail("matchEvents is not valid JSON: " + std::string(text));
  }
  return matchSpecFromJson(value);
}

}  // namespace sgeventd::plugins::native
