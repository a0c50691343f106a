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
  std::lock_guard lock(mutex_);
  message_ = message;
  due_ = std::chrono::steady_clock::now() + period_;
}

void Heartbeat::disarm() {
  std::lock_guard lock(mutex_);
  message_ = nullptr;
}

void Heartbeat::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    changed_.wait_for(lock, period_);
    if (!stop_ && message_ != nullptr && std::chrono::steady_clock::now() >= due_) {
      // A lost "in progress" (the server away) only means another worker may get the event later.
      natsMsg_InProgress(message_, nullptr);
      due_ = std::chrono::steady_clock::now() + period_;
    }
  }
}

}  // namespace sgeventd::broker
