#include "app/shutdown_watchdog.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace sgeventd::app {

ShutdownWatchdog::ShutdownWatchdog(core::Shutdown& shutdown, std::chrono::milliseconds timeout)
    : shutdown_(shutdown), timeout_(timeout), subscription_(shutdown.subscribe(waker_)) {
  thread_ = std::thread([this] { run(); });
}

ShutdownWatchdog::~ShutdownWatchdog() {
  disarm();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ShutdownWatchdog::phase(std::string what) {
  std::lock_guard lock(mutex_);
  phase_ = std::move(what);
}

void ShutdownWatchdog::setLog(core::LoggerPtr log) {
  std::lock_guard lock(mutex_);
  log_ = std::move(log);
}

void ShutdownWatchdog::disarm() {
  {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  cv_.notify_all();
  waker_.interrupt();
}

void ShutdownWatchdog::run() {
  // Sleeps until a stop is requested (the subscription interrupts the waker) or it is disarmed.
  while (!shutdown_.requested()) {
    {
      std::lock_guard lock(mutex_);
      if (disarmed_) {
        return;
      }
    }
    waker_.waitFor(std::chrono::hours(24));
  }
  std::unique_lock lock(mutex_);
  if (cv_.wait_for(lock, timeout_, [this] { return disarmed_; })) {
    return;
  }
  const std::string line = fmt::format(
      "The stop did not finish within {} ms (shutdown_timeout) while waiting for {}; "
      "exiting without waiting any longer.",
      timeout_.count(), phase_);
  if (log_) {
    log_->error(line);
  } else {
    std::fprintf(stderr, "sgeventd: %s\n", line.c_str());
  }
  std::_Exit(shutdown_.exitCode());
}

}  // namespace sgeventd::app
