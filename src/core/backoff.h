#pragma once
// Capped exponential backoff with full jitter, shared by the client's retries and the lanes' retries.
#include <chrono>
#include <cstdint>
#include <random>

namespace sgeventd::core {

struct BackoffPolicy {
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{30000};
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, std::uint64_t seed = std::random_device{}());
  // The wait before retry number `attempt` (1 = the first retry): uniform in [d/2, d],
  // d = min(cap, base * 2^(attempt-1)). Half-jitter keeps a floor so retries never become a tight loop.
  std::chrono::milliseconds delay(int attempt);

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
};

}  // namespace sgeventd::core
