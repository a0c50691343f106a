#pragma once
// The messages between the daemon and a worker process (`sgeventd worker`), as JSON objects with an
// "op" field inside frames (frame_io.h). docs/worker-protocol.md is the reference; kProtocolVersion
// changes with any change a peer of the previous version would misread.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/event.h"
#include "core/expected.h"
#include "core/log.h"
#include "plugins/plugin.h"

namespace sgeventd::worker {

inline constexpr int kProtocolVersion = 1;

// worker -> daemon, first: who answers.
struct Hello {
  int version = kProtocolVersion;
  std::int64_t pid = 0;
};
// daemon -> worker: load one version of a plugin file under `handle` (a reload is a new handle).
struct Load {
  std::uint64_t handle = 0;
  plugins::PluginId id;
};
// worker -> daemon: the version registered.
struct Loaded {
  std::uint64_t handle = 0;
  std::vector<plugins::CallbackInfo> callbacks;
  std::optional<plugins::EmailSetting> emails;
};
// worker -> daemon: it did not; `kind` is a plugins::LoadErrorKind.
struct LoadFailed {
  std::uint64_t handle = 0;
  int kind = 1;
  std::string message;
};
// daemon -> worker: run callbacks[callback] of `handle` for each event in order, stopping at the first
// attempt that does not succeed. One Result per event that ran, in order.
struct Invoke {
  std::uint64_t request = 0;
  std::uint64_t handle = 0;
  std::size_t callback = 0;
  std::vector<core::EventPtr> events;
};
struct Result {
  std::uint64_t request = 0;
  std::int64_t eventId = 0;
  plugins::InvokeResult result;
  bool last = true;          // no more results come for this request
  std::size_t callback = 0;  // which callback ran (for a Run)
};
// daemon -> worker: run `events` of `handle` ahead, each through every callback in registration order
// whose matchEvents it meets, stopping at the first attempt that does not succeed. One Result (last
// false) per callback that ran, then a RunEnd.
struct Run {
  std::uint64_t request = 0;
  std::uint64_t handle = 0;
  std::vector<core::EventPtr> events;
};
// daemon -> worker: stop that Run before its next event (a reload, an operator's request or a stop
// waits); it ends with RunEnd, completed false.
struct Cancel {
  std::uint64_t request = 0;
};
// worker -> daemon: a Run is over; `completed`: every event of it ran without a failure.
struct RunEnd {
  std::uint64_t request = 0;
  bool completed = true;
};
// daemon -> worker: that version is no longer used.
struct Unload {
  std::uint64_t handle = 0;
};
// daemon -> worker: finish what runs and exit.
struct Stop {};
// worker -> daemon: one record of a plugin's logger, for the daemon's handlers (files, e-mail).
struct LogRecord {
  std::string logger;
  core::LogLevel level = core::LogLevel::Info;
  std::string message;
  std::string path;
  std::string function;
  int line = 0;
};
// worker -> daemon: a plugin changed its logger's level (logger.setLevel).
struct SetLevel {
  std::string logger;
  core::LogLevel level = core::LogLevel::Info;
};

using Message = std::variant<Hello, Load, Loaded, LoadFailed, Invoke, Result, Run, RunEnd, Cancel, Unload,
                             Stop, LogRecord, SetLevel>;

std::string encode(const Message& message);
// Decodes one frame; an unknown op, a missing field or a wrong type is an error naming it.
Expected<Message> decode(const std::string& frame);

}  // namespace sgeventd::worker
