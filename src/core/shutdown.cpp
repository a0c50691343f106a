#include "core/shutdown.h"

#include <algorithm>
#include <vector>

namespace sgeventd::core {

void Shutdown::request(int exitCode) {
  {
    std::lock_guard lock(mutex_);
    if (!requested_.load()) {
      exitCode_ = exitCode;
    }
    requested_.store(true, std::memory_order_release);
    for (Waker* waker : wakers_) {
      waker->interrupt();
    }
  }
  cv_.notify_all();
}

bool Shutdown::waitFor(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return requested_.load(); });
}

Shutdown::Subscription Shutdown::subscribe(Waker& waker) {
  std::lock_guard lock(mutex_);
  if (requested_.load()) {
    waker.interrupt();
  }
  wakers_.push_back(&waker);
  return Subscription(this, &waker);
}

Shutdown::Subscription::~Subscription() {
  if (owner_ == nullptr) {
    return;
  }
  std::lock_guard lock(owner_->mutex_);
  std::erase(owner_->wakers_, waker_);
}

void Shutdown::wait() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return requested_.load(); });
}

}  // namespace sgeventd::core
