#include "core/backoff.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

TEST(Backoff, GrowsExponentiallyWithinHalfJitterAndCaps) {
  sgeventd::core::Backoff backoff({100ms, 1000ms}, 42);
  for (int round = 0; round < 50; ++round) {
    EXPECT_GE(backoff.delay(1), 50ms);
    EXPECT_LE(backoff.delay(1), 100ms);
    EXPECT_GE(backoff.delay(3), 200ms);
    EXPECT_LE(backoff.delay(3), 400ms);
    EXPECT_GE(backoff.delay(30), 500ms);
    EXPECT_LE(backoff.delay(30), 1000ms);
  }
}
