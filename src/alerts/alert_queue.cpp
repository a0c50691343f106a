#include "alerts/alert_queue.h"

namespace sgeventd::alerts {

bool AlertQueue::push(Alert alert) {
  {
    std::lock_guard lock(mutex_);
    if (alerts_.size() >= capacity_) {
      dropped_.fetch_add(1);
      return false;
    }
    alerts_.push_back(std::move(alert));
  }
  waker_.poke();
  return true;
}

std::vector<Alert> AlertQueue::takeAll() {
  std::lock_guard lock(mutex_);
  std::vector<Alert> out(std::make_move_iterator(alerts_.begin()), std::make_move_iterator(alerts_.end()));
  alerts_.clear();
  return out;
}

}  // namespace sgeventd::alerts
