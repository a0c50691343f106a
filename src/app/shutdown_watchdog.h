#pragma once
// Bounds the whole of a stop, from the moment it is requested to the end of the process: lanes finishing
// their events, the state written, Python finalizing (which waits for threads a plugin left behind). Past
// shutdown_timeout it names what it was waiting for and ends the process, so `sgeventd stop` and systemd
// never wait on a callback that does not return.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/log.h"
#include "core/shutdown.h"

namespace sgeventd::app {

class ShutdownWatchdog {
 public:
  // Create it after the SignalThread (signals must be blocked before any other thread starts).
  ShutdownWatchdog(core::Shutdown& shutdown, std::chrono::milliseconds timeout);
  ~ShutdownWatchdog();  // disarms
  ShutdownWatchdog(const ShutdownWatchdog&) = delete;
  ShutdownWatchdog& operator=(const ShutdownWatchdog&) = delete;

  // What the stop is waiting for now, for the line written if it takes too long.
  void phase(std::string what);
  void setLog(core::LoggerPtr log);
  // The process is about to return normally.
  void disarm();

 private:
  void run();

  core::Shutdown& shutdown_;
  std::chrono::milliseconds timeout_;
  core::Waker waker_;
  core::Shutdown::Subscription subscription_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::string phase_ = "the plugins to finish their current event";
  core::LoggerPtr log_;
  std::thread thread_;
};

}  // namespace sgeventd::app
