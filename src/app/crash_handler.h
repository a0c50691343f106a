#pragma once
// The daemon's fatal-signal handler. A plugin in the daemon's own threads that segfaults (or aborts, or
// overflows its stack) takes the process down; this handler writes which plugin, callback and event that
// thread was in (engine/crash_note.h) plus the signal to `<state_database>.crash`, so the next start can
// count the crash against that plugin and end a restart loop (app/crash_recovery.h).
//
// The handler does only async-signal-safe things: one write() of a record formatted before the callback
// began, then it hands the signal on: to the handler that was installed before it (AddressSanitizer's,
// which prints its report; Python's faulthandler when enabled), else to the default action, re-raised so
// the process dies of the same signal and dumps core as it would have without this handler. It runs on an
// alternate stack, which each lane thread gets on its first callback.
//
// A signal another process sent (`kill -SEGV` from a shell) blames nobody, nor does a fault in a thread
// that is not in a callback (the fetcher, the admin server), nor a `kill -9`: no handler runs for that.
#include <filesystem>
#include <memory>

#include "core/expected.h"

namespace sgeventd::app {

class CrashHandler {
 public:
  // Opens (and empties) the note for this run and installs the handler for SIGSEGV, SIGBUS, SIGFPE,
  // SIGILL and SIGABRT. Install it after anything else that handles those signals (the sanitizers do at
  // process start, Python's faulthandler when the interpreter starts): it calls the handler it replaced.
  // One at a time per process.
  static Expected<std::unique_ptr<CrashHandler>> install(const std::filesystem::path& notePath);
  // Puts the previous handlers back and removes the note, which is empty after a run without a crash.
  ~CrashHandler();
  CrashHandler(const CrashHandler&) = delete;
  CrashHandler& operator=(const CrashHandler&) = delete;

 private:
  explicit CrashHandler(std::filesystem::path notePath) : notePath_(std::move(notePath)) {}
  std::filesystem::path notePath_;
};

}  // namespace sgeventd::app
