#pragma once
// Waits for a condition with a deadline instead of sleeping a fixed time. Shared by every test folder.
#include <chrono>
#include <functional>
#include <thread>

namespace sgeventd::testing {

inline bool waitUntil(const std::function<bool()>& condition,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

}  // namespace sgeventd::testing
