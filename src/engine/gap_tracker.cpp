#include "engine/gap_tracker.h"

namespace sgeventd::engine {

std::vector<GapRange> GapTracker::observe(std::int64_t first, std::int64_t last,
                                          std::optional<TimePoint> nextCreatedAt, TimePoint now) {
  std::lock_guard lock(mutex_);
  // The deadline comes from the log itself (the event after the gap), not from when this process first
  // looked: whoever observes the gap, before or after any number of restarts, gets the same deadline.
  const TimePoint deadline = nextCreatedAt ? *nextCreatedAt + timeout_ : now + timeout_;
  if (deadline >= now) {
    open_.add(first, last, deadline);
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
