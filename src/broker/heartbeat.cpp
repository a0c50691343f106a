#include "broker/heartbeat.h"

namespace sgeventd::broker {

Heartbeat::Heartbeat(std::chrono::milliseconds period)
    : period_(std::max(period, std::chrono::milliseconds(10))), thread_([this] { run(); }) {}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Heartbeat::arm(natsMsg* message) {
  {
    std::lock_guard lock(mutex_);
    message_ = message;
    due_ = std::chrono::steady_clock::now() + period_;
  }
  changed_.notify_all();
}

void Heartbeat::disarm() {
  std::lock_guard lock(mutex_);
  message_ = nullptr;
}

void Heartbeat::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (message_ == nullptr) {
      changed_.wait(lock);
      continue;
    }
    if (changed_.wait_until(lock, due_) == std::cv_status::timeout && message_ != nullptr) {
      // A lost "in progress" (the server away) only means another worker may get the event later.
      natsMsg_InProgress(message_, nullptr);
      due_ = std::chrono::steady_clock::now() + period_;
    }
  }
}

}  // namespace sgeventd::broker
