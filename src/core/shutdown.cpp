#include "core/shutdown.h"

#include <algorithm>

namespace sgeventd::core {

void Shutdown::request(int exitCode) {
  {
    std::lock_guard lock(mutex_);
    if (!requested_.load()) {
      exitCode_ = exitCode;
    }
    requested_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

bool Shutdown::waitFor(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return requested_.load(); });
}

void Shutdown::pauseFor(std::chrono::steady_clock::duration d, const Shutdown& other) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (!requested() && !other.requested()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      return;
    }
    waitFor(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
}

void Shutdown::wait() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return requested_.load(); });
}

}  // namespace sgeventd::core
