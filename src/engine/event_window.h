#pragma once
// The recent part of the event log, shared by the fetcher (writer) and the lanes (readers). It covers
// every event the fetcher saw in (floor - 1, head] plus late-committed events below the floor, so most
// lanes never talk to the server; a lane that fell below the floor reads its own range instead.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "core/event.h"
#include "core/waker.h"

namespace sgeventd::engine {

class EventWindow {
 public:
  // `capacity`: events kept in the covered range before the oldest are dropped (the floor rises).
  explicit EventWindow(std::size_t capacity) : capacity_(capacity) {}

  // Starts the window empty at `head` (nothing known above it yet).
  void reset(std::int64_t head);

  // The fetcher scanned the log up to `scannedThrough`; `events` are what it found there, ascending.
  void append(std::vector<core::EventPtr> events, std::int64_t scannedThrough);
  // Gap ids committed late, found by one re-check: added under one lock, so a reader sees all or none.
  void addLate(std::vector<core::EventPtr> events, std::chrono::steady_clock::time_point now);
  void addLate(core::EventPtr event, std::chrono::steady_clock::time_point now);
  // Forgets late events older than `maxAge`.
  void pruneLate(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration maxAge);
  // Drops covered events with id <= `id` (no reader needs them any more).
  void dropThrough(std::int64_t id);

  struct Slice {
    std::vector<core::EventPtr> events;  // ascending, id > after
    bool covered = false;                // false: ids just above `after` are below the floor
    std::int64_t floor = 0;              // lowest id the window still covers
    std::int64_t head = 0;
  };
  Slice after(std::int64_t after, std::size_t max) const;
  // Late events whose id lies in [first, last].
  std::vector<core::EventPtr> lateIn(std::int64_t first, std::int64_t last) const;

  std::int64_t head() const;
  // created_at of the newest event appended (the head's), for lag in seconds.
  std::optional<core::TimePoint> headCreatedAt() const;
  std::int64_t floor() const;
  // Covered events above `id`: how far ahead of a reader the fetcher is.
  std::size_t countAbove(std::int64_t id) const;
  std::size_t size() const;

  // Bumped on every change; readers wait for it to move.
  std::uint64_t version() const;
  // Waits until version() != seen or the timeout passes; returns the current version.
  std::uint64_t waitForChange(std::uint64_t seen, std::chrono::milliseconds timeout) const;
  // Wakes every waiter (shutdown, reload).
  void poke();
  // `waker` is poked on every change until unsubscribed (a lane sleeps on its own Waker, which control
  // requests and stops poke too).
  void subscribe(core::Waker& waker);
  void unsubscribe(core::Waker& waker);

 private:
  void bumpLocked();
  std::deque<core::EventPtr>::const_iterator firstAbove(std::int64_t id) const;
  void insertInOrder(core::EventPtr event);  // unless its id is there already

  std::size_t capacity_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  // Ascending by id: the fetcher appends at the end and the lanes' progress drops from the front, so a
  // deque does what a map did without a node allocated and freed per event; a late id is inserted in
  // place (rare).
  std::deque<core::EventPtr> events_;
  std::map<std::int64_t, std::pair<core::EventPtr, std::chrono::steady_clock::time_point>> late_;
  std::int64_t floor_ = 1;
  std::int64_t head_ = 0;
  std::optional<core::TimePoint> headCreatedAt_;
  std::uint64_t version_ = 0;
  std::vector<core::Waker*> wakers_;
};

}  // namespace sgeventd::engine
