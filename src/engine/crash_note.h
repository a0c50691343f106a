#pragma once
// The crash note: which plugin callback each lane thread is in, kept where a fatal-signal handler can read
// it. A native plugin (or a Python C extension) that segfaults in a thread-mode callback takes the whole
// daemon down, and after a restart the same event would crash it again, for ever under systemd. So the
// dispatcher marks every callback here, and the daemon's handler for SIGSEGV and the like
// (app/crash_handler.*) writes the faulting thread's record to `<state_database>.crash` before the process
// dies; the next start reads it (app/crash_recovery.*) and counts a Crashed attempt for that plugin and
// event.
//
// Marking a callback costs no system call and no allocation: the record is formatted into a buffer of the
// thread's own (thread-local, initial-exec TLS, which a signal handler may read), so the handler only has to
// call write(). It is kept only while a handler is installed (arm()): tests and tools that run lanes without
// one pay a single relaxed load per callback.
//
// The note is text, one `key value` a line; values escape a backslash as `\\` and a newline as `\n`:
//   sgeventd-crash-note 1
//   collection <the plugin's collection, as written in the config>
//   plugin <its name>
//   path <its file>
//   callback <the callback's name>
//   event <the event id>
//   signal <the signal number>            (added by the handler)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.h"
#include "plugins/plugin.h"

namespace sgeventd::engine::crash_note {

// Room for one record; a plugin whose collection and path do not fit (many KiB) is not noted.
inline constexpr std::size_t kRecordCapacity = 8192;

// Records are kept from now on (a fatal-signal handler is installed), or no more.
void arm(bool on) noexcept;
bool armed() noexcept;

// Marks the callback the calling thread is about to run, until it is destroyed. On the first use in a
// thread it also gives the thread an alternate signal stack (unless it has one), so a plugin that
// overflows its stack still gets noted. Only for callbacks of in-process plugins does a note matter; a
// worker process's plugin cannot take the daemon down, so marking it too is harmless.
class InCallback {
 public:
  InCallback(const plugins::PluginId& id, std::string_view callback, std::int64_t eventId) noexcept;
  ~InCallback();
  InCallback(const InCallback&) = delete;
  InCallback& operator=(const InCallback&) = delete;

 private:
  bool marked_ = false;
};

// For the signal handler: the calling thread's record completed with `signal N`, or an empty view outside
// a callback. Async-signal-safe: no allocation, no lock, no library call.
std::string_view finishRecord(int signal) noexcept;

// What a note says.
struct Note {
  std::string collection;
  std::string plugin;
  std::string path;
  std::string callback;
  std::int64_t eventId = 0;
  int signal = 0;
  bool operator==(const Note&) const = default;
};

// The text a thread's record holds for this callback (and, with `signal`, the handler's line).
std::string format(const Note& note, bool withSignal = true);
// Reads a note back; an error for a text that is not one (cut short, another program's file).
Expected<Note> parse(std::string_view text);

}  // namespace sgeventd::engine::crash_note
