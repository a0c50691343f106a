#include "core/clock.h"

namespace sgeventd::core {

ClockPtr systemClock() {
  static const ClockPtr clock = std::make_shared<SystemClock>();
  return clock;
}

}  // namespace sgeventd::core
