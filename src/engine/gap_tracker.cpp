#include "engine/gap_tracker.h"

namespace sgeventd::engine {
namespace {

constexpr std::size_t kSettledKept = 10000;  // ranges; a site skips ids rarely

}  // namespace

std::vector<GapRange> GapTracker::observe(std::int64_t first, std::int64_t last,
                                          std::optional<TimePoint> nextCreatedAt, TimePoint now) {
  std::lock_guard lock(mutex_);
  // The deadline comes from the log itself (the event after the gap), not from when this process first
  // looked: whoever observes the gap, before or after any number of restarts, gets the same deadline.
  const TimePoint deadline = nextCreatedAt ? *nextCreatedAt + timeout_ : now + timeout_;
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
  if (log_ && !expired.empty()) {
    log_->warning("Timeout elapsed on backlog event " + std::string(expired.size() == 1 && expired[0].first == expired[0].last ? "id " : "ids ") +
                  describeRanges(expired) + " (past its deadline when first seen; treated as never committed).");
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
