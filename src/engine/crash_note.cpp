#include "engine/crash_note.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstring>

namespace sgeventd::engine::crash_note {
namespace {

constexpr std::string_view kHeader = "sgeventd-crash-note 1\n";
constexpr std::size_t kSignalRoom = 32;  // "signal N\n", added by the handler behind the record

std::atomic<bool> armedFlag{false};

// The record of the callback this thread is in. Plain data with constant initialization, in the initial
// TLS block (initial-exec): reading it from a signal handler needs no lazy allocation by the dynamic linker.
struct Record {
  std::size_t size;  // 0: not in a callback
  char text[kRecordCapacity + kSignalRoom];
};
constinit thread_local Record record __attribute__((tls_model("initial-exec"))) = {};

// The thread's alternate signal stack, when it is ours: a handler for a stack overflow cannot run on the
// stack that overflowed. Freed when the thread ends.
struct SignalStack {
  void* mapping = nullptr;
  std::size_t length = 0;
  bool checked = false;
  SignalStack() = default;
  SignalStack(const SignalStack&) = delete;
  SignalStack& operator=(const SignalStack&) = delete;
  ~SignalStack() {
    if (mapping != nullptr) {
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      ::sigaltstack(&off, nullptr);
      ::munmap(mapping, length);
    }
  }
};
thread_local SignalStack signalStack;

void ensureSignalStack() {
  if (signalStack.checked) {
    return;
  }
  signalStack.checked = true;
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) {
    return;  // the thread has one already (AddressSanitizer gives each thread its own)
  }
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::size_t size = 64 * 1024;
#ifdef _SC_SIGSTKSZ
  size = std::max(size, static_cast<std::size_t>(std::max(0L, ::sysconf(_SC_SIGSTKSZ))));
#endif
  size = (size + page - 1) / page * page;
  // One guard page below it, so a handler that overran it faults instead of writing over other memory.
  void* mapping =
      ::mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mapping == MAP_FAILED) {
    return;
  }
  ::mprotect(mapping, page, PROT_NONE);
  stack_t stack{};
  stack.ss_sp = static_cast<char*>(mapping) + page;
  stack.ss_size = size;
  if (::sigaltstack(&stack, nullptr) != 0) {
    ::munmap(mapping, size + page);
    return;
  }
  signalStack.mapping = mapping;
  signalStack.length = size + page;
}

// Appends to a fixed buffer; `ok` turns false once something did not fit.
struct Writer {
  char* out;
  std::size_t capacity;
  std::size_t size = 0;
  bool ok = true;

  void raw(std::string_view s) {
    if (!ok || s.size() > capacity - size) {
      ok = false;
      return;
    }
    std::memcpy(out + size, s.data(), s.size());
    size += s.size();
  }
  // A plain loop: find_first_of calls memchr once per character of the text, which was about 3 % of a
  // Python lane's time (a record is written per callback).
  void escaped(std::string_view s) {
    std::size_t from = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' || s[i] == '\n') {
        raw(s.substr(from, i - from));
        raw(s[i] == '\\' ? "\\\\" : "\\n");
        from = i + 1;
      }
    }
    raw(s.substr(from));
  }
  void number(std::int64_t n) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    raw(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  void line(std::string_view key, std::string_view value) {
    raw(key);
    raw(" ");
    escaped(value);
    raw("\n");
  }
};

void writeEventLine(Writer& w, std::int64_t eventId) {
  w.raw("event ");
  w.number(eventId);
  w.raw("\n");
}

// Everything before the event line, from views so that marking a callback allocates nothing; `values`:
// collection, plugin, path, callback.
void writePrefix(Writer& w, const std::array<std::string_view, 4>& values) {
  w.raw(kHeader);
  w.line("collection", values[0]);
  w.line("plugin", values[1]);
  w.line("path", values[2]);
  w.line("callback", values[3]);
}

// The values the thread's record was last written for, and where its event line starts: a lane invokes
// the same callback event after event, and only the event line changes. Comparing the values costs less
// than escaping them again (which was about 3 % of a Python lane's time). Not read by the handler.
struct LastCallback {
  std::array<std::size_t, 4> sizes{};
  char bytes[kRecordCapacity]{};
  std::size_t prefixSize = 0;  // 0: none kept

  bool same(const std::array<std::string_view, 4>& values) const {
    if (prefixSize == 0) {
      return false;
    }
    std::size_t at = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i].size() != sizes[i] || std::memcmp(bytes + at, values[i].data(), sizes[i]) != 0) {
        return false;
      }
      at += sizes[i];
    }
    return true;
  }
  void forget() { prefixSize = 0; }
  void keep(const std::array<std::string_view, 4>& values, std::size_t size) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i].size() > sizeof bytes - at) {
        return;  // cannot be longer than the record, which fit; kept out of caution
      }
      std::memcpy(bytes + at, values[i].data(), values[i].size());
      sizes[i] = values[i].size();
      at += sizes[i];
    }
    prefixSize = size;
  }
};
constinit thread_local LastCallback lastCallback;

std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[i + 1] == 'n' ? '\n' : s[i + 1];
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

template <class T>
bool toNumber(std::string_view text, T& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

void arm(bool on) noexcept { armedFlag.store(on, std::memory_order_relaxed); }

bool armed() noexcept { return armedFlag.load(std::memory_order_relaxed); }

InCallback::InCallback(const plugins::PluginId& id, std::string_view callback,
                       std::int64_t eventId) noexcept {
  if (!armed()) {
    return;
  }
  ensureSignalStack();
  const std::array<std::string_view, 4> values{id.collection, id.name, id.path.native(), callback};
  Writer w{record.text, kRecordCapacity};
  if (lastCallback.same(values)) {
    w.size = lastCallback.prefixSize;  // the record's text up to its event line is this callback's already
    writeEventLine(w, eventId);
  } else {
    lastCallback.forget();
    writePrefix(w, values);
    if (w.ok) {
      lastCallback.keep(values, w.size);
    }
    writeEventLine(w, eventId);
  }
  if (!w.ok) {
    return;  // too long to note: this callback is not blamed if it crashes
  }
  // The handler runs on this thread: a compiler fence orders the text before the size it trusts.
  std::atomic_signal_fence(std::memory_order_seq_cst);
  record.size = w.size;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  marked_ = true;
}

InCallback::~InCallback() {
  if (marked_) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    record.size = 0;
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
}

std::string_view finishRecord(int signal) noexcept {
  const std::size_t size = record.size;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (size == 0 || size > kRecordCapacity) {
    return {};
  }
  Writer w{record.text + size, kSignalRoom};
  w.raw("signal ");
  w.number(signal);
  w.raw("\n");
  return std::string_view(record.text, size + w.size);
}

std::string format(const Note& note, bool withSignal) {
  std::string out(kRecordCapacity + kSignalRoom, '\0');
  Writer w{out.data(), out.size()};
  writePrefix(w, {note.collection, note.plugin, note.path, note.callback});
  writeEventLine(w, note.eventId);
  if (withSignal) {
    w.raw("signal ");
    w.number(note.signal);
    w.raw("\n");
  }
  out.resize(w.size);
  return out;
}

Expected<Note> parse(std::string_view text) {
  if (text.substr(0, kHeader.size()) != kHeader) {
    return fail("it does not start with \"" + std::string(kHeader.substr(0, kHeader.size() - 1)) + "\"");
  }
  Note note;
  bool event = false;
  bool signal = false;
  bool plugin = false;
  std::size_t at = kHeader.size();
  while (at < text.size()) {
    const auto end = text.find('\n', at);
    if (end == std::string_view::npos) {
      return fail("its last line is cut short");
    }
    const auto line = text.substr(at, end - at);
    at = end + 1;
    const auto space = line.find(' ');
    const auto key = line.substr(0, space);
    const auto value = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    if (key == "collection") {
      note.collection = unescape(value);
    } else if (key == "plugin") {
      note.plugin = unescape(value);
      plugin = !note.plugin.empty();
    } else if (key == "path") {
      note.path = unescape(value);
    } else if (key == "callback") {
      note.callback = unescape(value);
    } else if (key == "event") {
      event = toNumber(value, note.eventId);
    } else if (key == "signal") {
      signal = toNumber(value, note.signal) && note.signal > 0;
    }
  }
  if (!plugin || !event || !signal) {
    return fail(!plugin ? "it names no plugin" : !event ? "it has no event id" : "it has no signal number");
  }
  return note;
}

}  // namespace sgeventd::engine::crash_note
