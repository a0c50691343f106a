#pragma once
// matchEvents from JSON text to core::MatchSpec with the original's semantics (spec §3.5), minus its
// crashes: a shape Python would only choke on at dispatch time is refused at registration instead.
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/expected.h"
#include "core/match_events.h"

namespace sgeventd::plugins::native {

// null, "" (no text), {} -> match all; {"Type": null | "substring" | [names...] | {names: ...}, ...}.
Expected<core::MatchSpec> matchSpecFromJson(std::string_view text);
Expected<core::MatchSpec> matchSpecFromJson(const nlohmann::json& value);

}  // namespace sgeventd::plugins::native
