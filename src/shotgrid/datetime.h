#pragma once
// Date-time text as ShotGrid sends it (protocol doc §1.9, §2.4, §4.2), always UTC.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sgeventd::shotgrid {

using TimePoint = std::chrono::system_clock::time_point;

// Accepts "YYYY-MM-DDTHH:MM:SSZ" (api3), "YYYY-MM-DD HH:MM:SS UTC" (REST create replies) and
// "YYYY-MM-DD HH:MM:SS[.ffffff]" (webhooks; taken as UTC). Anything else is nullopt.
std::optional<TimePoint> parseDateTime(std::string_view text);

// True for exactly the api3 wire form, the test shotgun_api3 applies to decide what to convert.
bool isApi3DateTime(std::string_view text);

// The api3 wire form "YYYY-MM-DDTHH:MM:SSZ" (whole seconds, as sites send it).
std::string formatDateTime(TimePoint t);

// "YYYY-MM-DD" of the UTC day.
std::string formatDate(TimePoint t);

}  // namespace sgeventd::shotgrid
