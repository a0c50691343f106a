#pragma once
// A pause that ends early: on a poke (the admin API's "poll now", a webhook, a control request for a lane)
// or once interrupted for good (a stop). Every service thread sleeps on one, so nothing polls a flag.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace sgeventd::core {

class Waker {
 public:
  // Ends the current (or the next) wait early, once.
  void poke();
  // Ends every wait from now on (the owner is stopping).
  void interrupt();
  bool interrupted() const;

  // Sleeps until `deadline`, a poke, or an interrupt. Returns true when it was woken early.
  bool waitUntil(std::chrono::steady_clock::time_point deadline);
  bool waitFor(std::chrono::steady_clock::duration d) {
    return waitUntil(std::chrono::steady_clock::now() + d);
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool poked_ = false;
  bool interrupted_ = false;
};

}  // namespace sgeventd::core
