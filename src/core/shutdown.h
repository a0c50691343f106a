#pragma once
// One stop request shared by every service thread; signals only call request().
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace sgeventd::core {

class Shutdown {
 public:
  void request(int exitCode = 0);
  bool requested() const { return requested_.load(std::memory_order_acquire); }
  int exitCode() const { return exitCode_.load(); }
  // Sleeps up to `timeout`; returns true at once when a stop was (or gets) requested.
  bool waitFor(std::chrono::steady_clock::duration timeout);
  void wait();

  // Sleeps up to `d`, returning early once this object or `other` (the daemon-wide stop, typically)
  // is requested. A component stopped on its own (a lane, the fetcher) owns the first and polls the
  // second in short slices.
  void pauseFor(std::chrono::steady_clock::duration d, const Shutdown& other);

 private:
  std::atomic<bool> requested_{false};
  std::atomic<int> exitCode_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace sgeventd::core
