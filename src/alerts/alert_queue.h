#pragma once
// The hand-over from logging threads to the sender thread. push() never waits for the sender: when the
// queue is full the alert is dropped and counted, so an SMTP outage cannot slow a lane down.
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "alerts/alert.h"
#include "core/waker.h"

namespace sgeventd::alerts {

class AlertQueue {
 public:
  explicit AlertQueue(std::size_t capacity) : capacity_(capacity) {}

  // False when full (the alert is dropped and counted). Wakes the sender.
  bool push(Alert alert);
  std::vector<Alert> takeAll();
  // Alerts dropped since the last call (the next mail reports them).
  std::uint64_t takeDropped() { return dropped_.exchange(0); }
  std::size_t capacity() const { return capacity_; }
  core::Waker& waker() { return waker_; }

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::deque<Alert> alerts_;
  std::atomic<std::uint64_t> dropped_{0};
  core::Waker waker_;
};

}  // namespace sgeventd::alerts
