#pragma once
// Keeps a delivered message from being handed to another worker while its callback runs: every
// `period` (ack_wait / 3) it tells the server "in progress", which restarts the message's ack wait.
// Its thread looks every `period` rather than being woken per event: arming costs a lock, no wake-up,
// and the first "in progress" goes out between one and two periods after the callback began, well
// inside ack_wait.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "broker/nats_handles.h"

namespace sgeventd::broker {

class Heartbeat {
 public:
  explicit Heartbeat(std::chrono::milliseconds period);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // From now on `message` (owned by the caller until disarm()) is kept in progress.
  void arm(natsMsg* message);
  // Stops sending; once it returns no send for the message is under way.
  void disarm();

 private:
  void run();

  std::chrono::milliseconds period_;
  std::mutex mutex_;  // held while a send is made, so disarm() waits for it
  std::condition_variable changed_;
  natsMsg* message_ = nullptr;
  std::chrono::steady_clock::time_point due_;
  bool stop_ = false;
  std::thread thread_;  // one per plugin for the worker's life: a thread per event would cost more
};

}  // namespace sgeventd::broker
