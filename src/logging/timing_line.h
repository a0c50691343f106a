#pragma once
// The original's timing log line (spec §5.4), byte for byte:
// "event_id=%d created_at=%s callback=%s start=%s end=%s duration=%s error=%s delay=%s"
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sgeventd::logging {

using SysTime = std::chrono::system_clock::time_point;

// datetime.isoformat() of a tz-aware local datetime: "2026-11-22T05:29:45.483650+01:00"; as Python,
// the fraction is left out when the microseconds are zero. Sub-microsecond digits are dropped.
std::string isoformatLocal(SysTime t);

// "%02d:%02d:%02d:%02d.%06d" of days, hours, minutes, seconds, microseconds after Python's timedelta
// normalisation (-0.5 s is days=-1, 23:59:59.500000).
std::string formatTimedelta(std::chrono::microseconds delta);

// `callbackLogger` is the callback's logger name ("plugin.rec.cb"); every "plugin." in it is removed.
std::string formatTimingLine(std::int64_t eventId, SysTime createdAt, std::string_view callbackLogger,
                             SysTime start, SysTime end, bool error);

}  // namespace sgeventd::logging
