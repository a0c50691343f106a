#include "shotgrid/datetime.h"

#include <cstdio>

namespace sgeventd::shotgrid {
namespace {

using namespace std::chrono;

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Computed in microseconds: years 0000..9999 (all four digits can say) are about 3.2e17 us from the epoch,
// far inside 64 bits, so no input overflows here.
std::optional<WireTime> compose(int y, int mo, int d, int h, int mi, int s, int micros) {
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  return WireTime{sys_days{ymd}} + hours{h} + minutes{mi} + seconds{s} + microseconds{micros};
}

// The first instant after the accepted range, and the first of it, as WireTime.
const WireTime kAfterLatest{sys_days{(kLatestYear + years{1}) / January / 1}};
const WireTime kEarliest{sys_days{kEarliestYear / January / 1}};

}  // namespace

bool isApi3DateTime(std::string_view t) {
  int v = 0;
  return t.size() == 20 && digits(t, 0, 4, v) && t[4] == '-' && digits(t, 5, 2, v) && t[7] == '-' &&
         digits(t, 8, 2, v) && t[10] == 'T' && digits(t, 11, 2, v) && t[13] == ':' && digits(t, 14, 2, v) &&
         t[16] == ':' && digits(t, 17, 2, v) && t[19] == 'Z';
}

std::optional<WireTime> parseWireDateTime(std::string_view t) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (t.size() < 19 || !digits(t, 0, 4, y) || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' ||
      !digits(t, 8, 2, d) || (t[10] != 'T' && t[10] != ' ') || !digits(t, 11, 2, h) || t[13] != ':' ||
      !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, s)) {
    return std::nullopt;
  }
  std::string_view rest = t.substr(19);
  int micros = 0;
  if (!rest.empty() && rest[0] == '.') {
    std::size_t n = 1;
    int scale = 100000;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') {
      if (scale > 0) {
        micros += (rest[n] - '0') * scale;
        scale /= 10;
      }
      ++n;
    }
    if (n == 1) {
      return std::nullopt;
    }
    rest = rest.substr(n);
  }
  if (rest == "Z" || rest.empty() || rest == " UTC" || rest == "+00:00") {
    return compose(y, mo, d, h, mi, s, micros);
  }
  return std::nullopt;
}

std::optional<TimePoint> toTimePoint(WireTime t) {
  if (t < kEarliest || t >= kAfterLatest) {
    return std::nullopt;
  }
  return TimePoint{duration_cast<TimePoint::duration>(t.time_since_epoch())};
}

Expected<TimePoint> readDateTime(std::string_view text) {
  const auto wire = parseWireDateTime(text);
  if (!wire) {
    return fail("'" + std::string(text.substr(0, 40)) + "' is not a date-time (YYYY-MM-DDTHH:MM:SSZ)");
  }
  const auto point = toTimePoint(*wire);
  if (!point) {
    return fail("'" + std::string(text.substr(0, 40)) +
                "' is outside the dates this daemon can hold (years " +
                std::to_string(static_cast<int>(kEarliestYear)) + " to " +
                std::to_string(static_cast<int>(kLatestYear)) + ")");
  }
  return *point;
}

std::optional<TimePoint> parseDateTime(std::string_view text) {
  auto t = readDateTime(text);
  return t ? std::optional<TimePoint>(*t) : std::nullopt;
}

std::string formatDateTime(TimePoint t) {
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string formatDate(TimePoint t) {
  const year_month_day ymd{floor<days>(t)};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace sgeventd::shotgrid
