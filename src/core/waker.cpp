#include "core/waker.h"

namespace sgeventd::core {

void Waker::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  cv_.notify_all();
}

void Waker::interrupt() {
  {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

bool Waker::interrupted() const {
  std::lock_guard lock(mutex_);
  return interrupted_;
}

bool Waker::waitUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  const bool woken = cv_.wait_until(lock, deadline, [this] { return poked_ || interrupted_; });
  poked_ = false;
  return woken;
}

}  // namespace sgeventd::core
