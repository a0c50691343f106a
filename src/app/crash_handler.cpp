#include "app/crash_handler.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "engine/crash_note.h"

namespace sgeventd::app {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr std::size_t kSignalCount = sizeof kSignals / sizeof kSignals[0];

// Process-wide, as signal dispositions are; written before the handler is installed and after it is
// removed, read by the handler only.
int noteFd = -1;
struct sigaction previous[kSignalCount];
std::atomic<bool> installed{false};
std::atomic<bool> noteTaken{false};  // the first crashing thread writes the note; lock-free, so signal-safe

std::size_t indexOf(int sig) {
  for (std::size_t i = 0; i < kSignalCount; ++i) {
    if (kSignals[i] == sig) {
      return i;
    }
  }
  return 0;
}

void writeNote(int sig, const siginfo_t* info) {
  // si_code <= 0 means a process sent it (kill, sigqueue, tgkill); only this process's own sending
  // (raise, abort, a plugin's pthread_kill) is the thread's doing.
  if (info != nullptr && info->si_code <= 0 && info->si_pid != ::getpid()) {
    return;
  }
  const auto record = engine::crash_note::finishRecord(sig);
  if (record.empty() || noteFd < 0 || noteTaken.exchange(true)) {
    return;
  }
  // No fsync: the page cache outlives the process, and the note is read by the next start on this host.
  const char* at = record.data();
  std::size_t left = record.size();
  while (left > 0) {
    const ssize_t written = ::write(noteFd, at, left);
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      return;
    }
    at += written;
    left -= static_cast<std::size_t>(written);
  }
}

void onFatalSignal(int sig, siginfo_t* info, void* context) {
  const int savedErrno = errno;
  writeNote(sig, info);
  // The handler installed before this one has its say first: AddressSanitizer prints its report and ends
  // the process with its own exit code; Python's faulthandler dumps the tracebacks and re-raises.
  const struct sigaction& before = previous[indexOf(sig)];
  if ((before.sa_flags & SA_SIGINFO) != 0) {
    if (before.sa_sigaction != nullptr) {
      before.sa_sigaction(sig, info, context);
    }
  } else if (before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN && before.sa_handler != nullptr) {
    before.sa_handler(sig);
  }
  // Then the default action, for the same signal: raised now, it is delivered as this handler returns
  // (the signal is blocked while it runs), before a faulting instruction would run again.
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  ::sigaction(sig, &fallback, nullptr);
  ::raise(sig);
  errno = savedErrno;
}

}  // namespace

Expected<std::unique_ptr<CrashHandler>> CrashHandler::install(const std::filesystem::path& notePath) {
  if (installed.exchange(true)) {
    return fail("a crash handler is installed already");
  }
  // Opened once, now: the handler cannot open files. Close-on-exec, so a worker process never holds it.
  const int fd = ::open(notePath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    installed = false;
    return fail("cannot open the crash note " + notePath.string() + ": " + std::strerror(errno));
  }
  noteFd = fd;
  noteTaken = false;
  struct sigaction action {};
  action.sa_sigaction = onFatalSignal;
  // On the thread's alternate stack (a stack overflow leaves no room on the thread's own); the other
  // fatal signals wait while it runs.
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (const int sig : kSignals) {
    sigaddset(&action.sa_mask, sig);
  }
  for (std::size_t i = 0; i < kSignalCount; ++i) {
    ::sigaction(kSignals[i], &action, &previous[i]);
  }
  engine::crash_note::arm(true);
  return std::unique_ptr<CrashHandler>(new CrashHandler(notePath));
}

CrashHandler::~CrashHandler() {
  engine::crash_note::arm(false);
  for (std::size_t i = 0; i < kSignalCount; ++i) {
    ::sigaction(kSignals[i], &previous[i], nullptr);
  }
  ::close(noteFd);
  noteFd = -1;
  std::error_code ignored;
  std::filesystem::remove(notePath_, ignored);
  installed = false;
}

}  // namespace sgeventd::app
