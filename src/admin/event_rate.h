#pragma once
// Events per minute for each plugin over the last hour (the status page's sparkline): the processed
// counter sampled now and then, kept as the last value seen in each minute. A minute's count is the
// difference between the end of that minute and the end of the one before, so sampling need not fall on
// minute boundaries, and a counter that starts again from 0 (a reloaded plugin) only starts a new base.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/event.h"

namespace sgeventd::admin {

class EventRate {
 public:
  explicit EventRate(std::size_t minutes = 60) : minutes_(minutes) {}

  void record(core::TimePoint now, const std::string& key, std::uint64_t processed);
  // Up to `minutes` counts, oldest first, the last one the minute `now` is in; empty for an unknown key.
  std::vector<std::uint64_t> perMinute(core::TimePoint now, const std::string& key) const;
  // Forgets the plugins not in `keys` (removed from disk).
  void retain(const std::vector<std::string>& keys);

 private:
  struct Series {
    std::int64_t firstMinute = 0;
    std::uint64_t base = 0;     // the first value seen
    std::uint64_t lastRaw = 0;  // the counter as last reported
    std::uint64_t offset = 0;   // added to the raw counter after it went back to 0
    std::map<std::int64_t, std::uint64_t> endOfMinute;
  };
  static std::int64_t minuteOf(core::TimePoint t);

  std::size_t minutes_;
  mutable std::mutex mutex_;
  std::map<std::string, Series> series_;
};

}  // namespace sgeventd::admin
