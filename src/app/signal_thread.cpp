#include "app/signal_thread.h"

#include <pthread.h>
#include <signal.h>

namespace sgeventd::app {
namespace {

sigset_t handledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);  // reopen the log files; also our own wake-up at destruction
  return set;
}

}  // namespace

void blockDaemonSignals() {
  sigset_t set = handledSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalThread::SignalThread(core::Shutdown& shutdown) : shutdown_(shutdown) {
  blockDaemonSignals();
  sigset_t set = handledSignals();
  signal(SIGPIPE, SIG_IGN);  // a closed socket is an error value, not a death
  thread_ = std::thread([this, set] {
    while (!done_) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) {
        continue;
      }
      if (sig == SIGTERM || sig == SIGINT) {
        shutdown_.request(0);
      } else if (sig == SIGHUP) {
        reload_ = true;
      } else if (sig == SIGUSR1 && !done_) {
        reopen_ = true;
      }
      std::lock_guard lock(wakeMutex_);
      if (wake_ && !done_) {
        wake_();
      }
    }
  });
}

void SignalThread::onSignal(std::function<void()> wake) {
  std::lock_guard lock(wakeMutex_);
  wake_ = std::move(wake);
}

SignalThread::~SignalThread() {
  done_ = true;
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

}  // namespace sgeventd::app
