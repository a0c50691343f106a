#include "core/backoff.h"

#include <algorithm>

namespace sgeventd::core {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed) {}

std::chrono::milliseconds Backoff::delay(int attempt) {
  const auto base = std::max<std::int64_t>(policy_.base.count(), 1);
  const auto cap = std::max<std::int64_t>(policy_.cap.count(), base);
  std::int64_t d = base;
  for (int i = 1; i < attempt && d < cap; ++i) {
    d *= 2;
  }
  d = std::min(d, cap);
  std::uniform_int_distribution<std::int64_t> dist(d / 2, d);
  return std::chrono::milliseconds(dist(rng_));
}

}  // namespace sgeventd::core
