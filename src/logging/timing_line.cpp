#include "logging/timing_line.h"

#include <cstdio>
#include <ctime>

namespace sgeventd::logging {

namespace {

using std::chrono::microseconds;

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

microseconds sinceEpoch(SysTime t) { return std::chrono::floor<microseconds>(t.time_since_epoch()); }

}  // namespace

std::string isoformatLocal(SysTime t) {
  const std::int64_t micros = sinceEpoch(t).count();
  const std::time_t seconds = static_cast<std::time_t>(floorDiv(micros, 1'000'000));
  const int fraction = static_cast<int>(micros - static_cast<std::int64_t>(seconds) * 1'000'000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
  if (fraction != 0) {
    length += static_cast<std::size_t>(std::snprintf(text + length, sizeof text - length, ".%06d", fraction));
  }
  long offset = local.tm_gmtoff;
  const char sign = offset < 0 ? '-' : '+';
  offset = offset < 0 ? -offset : offset;
  length += static_cast<std::size_t>(std::snprintf(text + length, sizeof text - length, "%c%02ld:%02ld", sign,
                                                   offset / 3600, offset % 3600 / 60));
  if (offset % 60 != 0) {
    std::snprintf(text + length, sizeof text - length, ":%02ld", offset % 60);
  }
  return text;
}

std::string formatTimedelta(microseconds delta) {
  constexpr std::int64_t kDay = 86'400'000'000;
  const std::int64_t total = delta.count();
  const std::int64_t days = floorDiv(total, kDay);
  const std::int64_t rest = total - days * kDay;  // in [0, one day)
  const std::int64_t seconds = rest / 1'000'000;
  char text[64];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld:%02lld.%06lld", static_cast<long long>(days),
                static_cast<long long>(seconds / 3600), static_cast<long long>(seconds % 3600 / 60),
                static_cast<long long>(seconds % 60), static_cast<long long>(rest % 1'000'000));
  return text;
}

std::string formatTimingLine(std::int64_t eventId, SysTime createdAt, std::string_view callbackLogger,
                             SysTime start, SysTime end, bool error) {
  std::string callback(callbackLogger);
  constexpr std::string_view kPrefix = "plugin.";
  for (auto at = callback.find(kPrefix); at != std::string::npos; at = callback.find(kPrefix, at)) {
    callback.erase(at, kPrefix.size());
  }
  std::string line = "event_id=" + std::to_string(eventId);
  line += " created_at=" + isoformatLocal(createdAt);
  line += " callback=" + callback;
  line += " start=" + isoformatLocal(start);
  line += " end=" + isoformatLocal(end);
  line += " duration=" + formatTimedelta(sinceEpoch(end) - sinceEpoch(start));
  line += std::string(" error=") + (error ? "True" : "False");
  line += " delay=" + formatTimedelta(sinceEpoch(start) - sinceEpoch(createdAt));
  return line;
}

}  // namespace sgeventd::logging
