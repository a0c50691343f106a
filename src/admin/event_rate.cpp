#include "admin/event_rate.h"

#include <algorithm>
#include <set>

namespace sgeventd::admin {

std::int64_t EventRate::minuteOf(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count();
}

void EventRate::record(core::TimePoint now, const std::string& key, std::uint64_t processed) {
  const std::int64_t minute = minuteOf(now);
  std::lock_guard lock(mutex_);
  auto [it, fresh] = series_.try_emplace(key);
  Series& s = it->second;
  if (fresh) {
    s.firstMinute = minute;
    s.base = processed;
  } else if (processed < s.lastRaw) {
    s.offset += s.lastRaw;
  }
  s.lastRaw = processed;
  s.endOfMinute[minute] = processed + s.offset;
  const auto keepFrom = minute - static_cast<std::int64_t>(minutes_);
  s.endOfMinute.erase(s.endOfMinute.begin(), s.endOfMinute.lower_bound(keepFrom));
}

std::vector<std::uint64_t> EventRate::perMinute(core::TimePoint now, const std::string& key) const {
  const std::int64_t current = minuteOf(now);
  std::lock_guard lock(mutex_);
  const auto it = series_.find(key);
  if (it == series_.end()) {
    return {};
  }
  const Series& s = it->second;
  const std::int64_t from = std::max(s.firstMinute, current - static_cast<std::int64_t>(minutes_) + 1);
  // The counter at the end of the minute before `from`.
  std::uint64_t previous = s.base;
  if (auto before = s.endOfMinute.lower_bound(from); before != s.endOfMinute.begin()) {
    previous = std::prev(before)->second;
  }
  std::vector<std::uint64_t> out;
  for (std::int64_t m = from; m <= current; ++m) {
    std::uint64_t end = previous;
    if (auto at = s.endOfMinute.find(m); at != s.endOfMinute.end()) {
      end = at->second;
    }
    out.push_back(end > previous ? end - previous : 0);
    previous = std::max(previous, end);
  }
  return out;
}

void EventRate::retain(const std::vector<std::string>& keys) {
  const std::set<std::string> keep(keys.begin(), keys.end());
  std::lock_guard lock(mutex_);
  std::erase_if(series_, [&keep](const auto& entry) { return keep.count(entry.first) == 0; });
}

}  // namespace sgeventd::admin
