#include "engine/event_window.h"

#include <algorithm>

namespace sgeventd::engine {

void EventWindow::bumpLocked() {
  ++version_;
  changed_.notify_all();
  for (core::Waker* waker : wakers_) {
    waker->poke();
  }
}

void EventWindow::subscribe(core::Waker& waker) {
  std::lock_guard lock(mutex_);
  wakers_.push_back(&waker);
}

void EventWindow::unsubscribe(core::Waker& waker) {
  std::lock_guard lock(mutex_);
  std::erase(wakers_, &waker);
}

std::deque<core::EventPtr>::const_iterator EventWindow::firstAbove(std::int64_t id) const {
  return std::upper_bound(events_.begin(), events_.end(), id,
                          [](std::int64_t value, const core::EventPtr& event) { return value < event->id; });
}

void EventWindow::insertInOrder(core::EventPtr event) {
  const auto at = firstAbove(event->id - 1);
  if (at == events_.end() || (*at)->id != event->id) {
    events_.insert(at, std::move(event));
  }
}

void EventWindow::reset(std::int64_t head) {
  std::lock_guard lock(mutex_);
  events_.clear();
  head_ = head;
  floor_ = head + 1;
  bumpLocked();
}

void EventWindow::append(std::vector<core::EventPtr> events, std::int64_t scannedThrough) {
  std::lock_guard lock(mutex_);
  if (!events.empty()) {
    headCreatedAt_ = events.back()->createdAt;
  }
  for (auto& e : events) {
    if (e->id <= head_) {
      continue;
    }
    if (events_.empty() || e->id > events_.back()->id) {
      events_.push_back(std::move(e));  // replies are ascending: always, once checkReply passed them
    } else {
      insertInOrder(std::move(e));
    }
  }
  head_ = std::max(head_, scannedThrough);
  while (events_.size() > capacity_) {
    floor_ = events_.front()->id + 1;
    events_.pop_front();
  }
  bumpLocked();
}

void EventWindow::addLate(std::vector<core::EventPtr> events, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  for (auto& event : events) {
    const std::int64_t id = event->id;
    if (id >= floor_ && id <= head_) {
      insertInOrder(event);  // readers below it meet it in order
    }
    late_[id] = {std::move(event), now};
  }
  bumpLocked();
}

void EventWindow::addLate(core::EventPtr event, std::chrono::steady_clock::time_point now) {
  std::vector<core::EventPtr> one;
  one.push_back(std::move(event));
  addLate(std::move(one), now);
}

void EventWindow::pruneLate(std::chrono::steady_clock::time_point now,
                            std::chrono::steady_clock::duration maxAge) {
  std::lock_guard lock(mutex_);
  for (auto it = late_.begin(); it != late_.end();) {
    it = (now - it->second.second > maxAge) ? late_.erase(it) : std::next(it);
  }
}

void EventWindow::dropThrough(std::int64_t id) {
  std::lock_guard lock(mutex_);
  if (id < floor_) {
    return;
  }
  events_.erase(events_.begin(), firstAbove(id));
  floor_ = std::min(id, head_) + 1;
}

EventWindow::Slice EventWindow::after(std::int64_t after, std::size_t max) const {
  std::lock_guard lock(mutex_);
  Slice slice;
  slice.floor = floor_;
  slice.head = head_;
  slice.covered = after >= floor_ - 1;
  if (!slice.covered) {
    return slice;
  }
  const auto first = firstAbove(after);
  const auto count = std::min(max, static_cast<std::size_t>(events_.end() - first));
  slice.events.assign(first, first + static_cast<std::ptrdiff_t>(count));
  return slice;
}

std::vector<core::EventPtr> EventWindow::lateIn(std::int64_t first, std::int64_t last) const {
  std::lock_guard lock(mutex_);
  std::vector<core::EventPtr> out;
  for (auto it = late_.lower_bound(first); it != late_.end() && it->first <= last; ++it) {
    out.push_back(it->second.first);
  }
  return out;
}

std::int64_t EventWindow::head() const {
  std::lock_guard lock(mutex_);
  return head_;
}

std::optional<core::TimePoint> EventWindow::headCreatedAt() const {
  std::lock_guard lock(mutex_);
  return headCreatedAt_;
}

std::int64_t EventWindow::floor() const {
  std::lock_guard lock(mutex_);
  return floor_;
}

std::size_t EventWindow::countAbove(std::int64_t id) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(events_.end() - firstAbove(id));
}

std::size_t EventWindow::size() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

std::uint64_t EventWindow::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::uint64_t EventWindow::waitForChange(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return version_ != seen; });
  return version_;
}

void EventWindow::poke() {
  std::lock_guard lock(mutex_);
  bumpLocked();
}

}  // namespace sgeventd::engine
