#pragma once
// Time that moves only when a test says so: both clocks advance together.
#include <chrono>
#include <mutex>

#include "core/clock.h"

namespace sgeventd::testing {

class ManualClock final : public core::Clock {
 public:
  explicit ManualClock(
      std::chrono::system_clock::time_point start = std::chrono::sys_days{std::chrono::year{2026} / 12 / 1})
      : system_(start) {}
  std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(mutex_);
    return system_;
  }
  std::chrono::steady_clock::time_point steadyNow() const override {
    std::lock_guard lock(mutex_);
    return steady_;
  }
  void advance(std::chrono::steady_clock::duration d) {
    std::lock_guard lock(mutex_);
    system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    steady_ += d;
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point system_;
  std::chrono::steady_clock::time_point steady_{std::chrono::hours(1000)};
};

}  // namespace sgeventd::testing
