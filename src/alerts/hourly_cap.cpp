#include "alerts/hourly_cap.h"

namespace sgeventd::alerts {

bool HourlyCap::allows(TimePoint now) {
  if (perHour_ <= 0) {
    return true;
  }
  while (!sent_.empty() && sent_.front() + std::chrono::hours(1) <= now) {
    sent_.pop_front();
  }
  return sent_.size() < static_cast<std::size_t>(perHour_);
}

void HourlyCap::sent(TimePoint now) {
  if (perHour_ > 0) {
    sent_.push_back(now);
  }
}

}  // namespace sgeventd::alerts
