#pragma once
// At most `perHour` mails in any 60 minutes (a sliding window, so a burst at the top of the hour cannot
// send twice the cap). 0: no cap.
#include <chrono>
#include <deque>

namespace sgeventd::alerts {

class HourlyCap {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit HourlyCap(int perHour) : perHour_(perHour) {}

  bool allows(TimePoint now);
  void sent(TimePoint now);
  int perHour() const { return perHour_; }

 private:
  const int perHour_;
  std::deque<TimePoint> sent_;
};

}  // namespace sgeventd::alerts
