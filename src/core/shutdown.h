#pragma once
// One stop request shared by every service thread; signals only call request().
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "core/waker.h"

namespace sgeventd::core {

class Shutdown {
 public:
  void request(int exitCode = 0);
  bool requested() const { return requested_.load(std::memory_order_acquire); }
  int exitCode() const { return exitCode_.load(); }
  // Sleeps up to `timeout`; returns true at once when a stop was (or gets) requested.
  bool waitFor(std::chrono::steady_clock::duration timeout);
  void wait();

  // Interrupts `waker` when a stop is requested (at once if it already was), for as long as the returned
  // subscription lives: a service thread sleeps on its own Waker and still hears the daemon-wide stop.
  class Subscription {
   public:
    Subscription(Shutdown* owner, Waker* waker) : owner_(owner), waker_(waker) {}
    ~Subscription();
    Subscription(Subscription&& other) noexcept : owner_(other.owner_), waker_(other.waker_) {
      other.owner_ = nullptr;
    }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    Subscription& operator=(Subscription&&) = delete;

   private:
    Shutdown* owner_;
    Waker* waker_;
  };
  [[nodiscard]] Subscription subscribe(Waker& waker);

 private:
  std::atomic<bool> requested_{false};
  std::atomic<int> exitCode_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Waker*> wakers_;
};

}  // namespace sgeventd::core
