#pragma once
// Date-time text as ShotGrid sends it (protocol doc §1.9, §2.4, §4.2), always UTC.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.h"

namespace sgeventd::shotgrid {

// The daemon's time point (core::TimePoint): nanoseconds in 64 bits with libstdc++, so it holds only
// 1677-09-21 .. 2262-04-11. The wire carries any 4-digit year.
using TimePoint = std::chrono::system_clock::time_point;
// Microseconds in 64 bits hold +-292,000 years: every date the wire can carry, at its finest precision.
using WireTime = std::chrono::sys_time<std::chrono::microseconds>;

// The dates a TimePoint takes from the wire: whole years inside its range, with about 100 days of headroom
// at each end so that adding a timeout or a lag to one does not overflow either.
inline constexpr std::chrono::year kEarliestYear{1678};
inline constexpr std::chrono::year kLatestYear{2261};

// Accepts "YYYY-MM-DDTHH:MM:SSZ" (api3), "YYYY-MM-DD HH:MM:SS UTC" (REST create replies) and
// "YYYY-MM-DD HH:MM:SS[.ffffff]" (webhooks; taken as UTC), for any year 0000..9999. Anything else is
// nullopt. Never overflows.
std::optional<WireTime> parseWireDateTime(std::string_view text);

// `t` as a TimePoint when its year is kEarliestYear..kLatestYear; nullopt otherwise.
std::optional<TimePoint> toTimePoint(WireTime t);

// parseWireDateTime then toTimePoint, with a message saying which of the two the text failed.
Expected<TimePoint> readDateTime(std::string_view text);

// readDateTime without the message: nullopt for text that is not a date-time or is out of range.
std::optional<TimePoint> parseDateTime(std::string_view text);

// True for exactly the api3 wire form, the test shotgun_api3 applies to decide what to convert.
bool isApi3DateTime(std::string_view text);

// The api3 wire form "YYYY-MM-DDTHH:MM:SSZ" (whole seconds, as sites send it).
std::string formatDateTime(TimePoint t);

// "YYYY-MM-DD" of the UTC day.
std::string formatDate(TimePoint t);

}  // namespace sgeventd::shotgrid
