#include "engine/gap_tracker.h"

namespace sgeventd::engine {
namespace {

constexpr std::size_t kSettledKept = 10000;  // ranges; a site skips ids rarely

// A date near the end of what a TimePoint holds plus a long backlog_timeout must not wrap around.
TimePoint plus(TimePoint t, std::chrono::seconds d) {
  const auto room = std::chrono::duration_cast<std::chrono::seconds>(TimePoint::max() - t);
  return d >= room ? TimePoint::max() : t + d;
}

}  // namespace

std::string expiredLine(const GapRange& r) {
  if (r.first == r.last) {
    return "Timeout elapsed on backlog event id " + std::to_string(r.first) + ".";
  }
  return "Timeout elapsed on backlog event ids " + std::to_string(r.first) + "-" + std::to_string(r.last) +
         " (" + std::to_string(r.last - r.first + 1) + " ids never committed).";
}

std::vector<GapRange> GapTracker::observe(std::int64_t first, std::int64_t last,
                                          std::optional<TimePoint> nextCreatedAt, TimePoint now) {
  std::lock_guard lock(mutex_);
  // The deadline comes from the log itself (the event after the gap), not from when this process first
  // looked: whoever observes the gap, before or after any number of restarts, gets the same deadline.
  const TimePoint deadline = plus(nextCreatedAt ? *nextCreatedAt : now, timeout_);
  if (deadline >= now) {
    open_.add(first, last, deadline);
    return open_.covered(first, last);
  }
  std::vector<GapRange> expired;
  for (const auto& [a, b] : settled_.holes(first, last)) {
    for (const auto& [c, d] : open_.holes(a, b)) {
      expired.push_back({c, d, deadline});
    }
  }
  for (const auto& r : expired) {
    settled_.add(r.first, r.last, deadline);
  }
  if (settled_.size() > kSettledKept) {
    settled_.dropLowest(settled_.size() - kSettledKept);
  }
  for (const auto& r : expired) {
    if (log_) {
      log_->warning(expiredLine(r) + " It was past its deadline when first seen.");
    }
  }
  return open_.covered(first, last);
}

void GapTracker::restore(const std::vector<GapRange>& ranges) {
  std::lock_guard lock(mutex_);
  open_.addMissing(ranges);
}

void GapTracker::filled(std::int64_t id) {
  std::lock_guard lock(mutex_);
  open_.remove(id);
}

std::vector<GapRange> GapTracker::expire(TimePoint now) {
  std::lock_guard lock(mutex_);
  return open_.expire(now);
}

std::vector<GapRange> GapTracker::openWithin(std::int64_t first, std::int64_t last) const {
  std::lock_guard lock(mutex_);
  return open_.covered(first, last);
}

std::vector<GapRange> GapTracker::open() const {
  std::lock_guard lock(mutex_);
  return open_.ranges();
}

bool GapTracker::isOpen(std::int64_t id) const {
  std::lock_guard lock(mutex_);
  return open_.contains(id);
}

std::size_t GapTracker::openIdCount() const {
  std::lock_guard lock(mutex_);
  return open_.idCount();
}

}  // namespace sgeventd::engine
