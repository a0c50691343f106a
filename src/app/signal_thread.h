#pragma once
// Signals are taken by one thread with sigwait(), never by handlers: SIGTERM/SIGINT request a stop,
// SIGHUP requests a plugin reload, SIGUSR1 asks to reopen the log files (after logrotate moved them).
// Construct before any other thread so every thread inherits the mask.
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "core/shutdown.h"

namespace sgeventd::app {

// Blocks SIGTERM, SIGINT, SIGHUP and SIGUSR1 in the calling thread and every thread it starts afterwards.
// Call it before starting any thread that lives alongside the daemon (the embedded sim, a run timer): a
// signal the kernel hands to a thread that does not block it would kill the process.
void blockDaemonSignals();

class SignalThread {
 public:
  explicit SignalThread(core::Shutdown& shutdown);
  ~SignalThread();
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

  // True once per SIGHUP received since the last call.
  bool takeReloadRequest() { return reload_.exchange(false); }
  // True once per SIGUSR1 received since the last call.
  bool takeReopenRequest() { return reopen_.exchange(false); }
  // Called from the signal thread after each signal, so the daemon's loop need not poll the requests.
  void onSignal(std::function<void()> wake);

 private:
  core::Shutdown& shutdown_;
  std::atomic<bool> reload_{false};
  std::atomic<bool> reopen_{false};
  std::atomic<bool> done_{false};
  std::mutex wakeMutex_;
  std::function<void()> wake_;
  std::thread thread_;
};

}  // namespace sgeventd::app
