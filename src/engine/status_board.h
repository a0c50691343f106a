#pragma once
// What every lane last published about its plugins, read by the fetcher (how far ahead to read, what to
// forget), `status()`, the admin API and the metrics, without the engine lock and without waiting for a
// lane that is busy in a callback.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "engine/range_set.h"
#include "plugins/plugin.h"

namespace sgeventd::engine {

enum class MemberState {
  Active,
  Retrying,     // waiting to try a failed callback again
  Deactivated,  // stopOnError after its failures; back on a change on disk, SIGHUP, reactivate_after, enable
  Disabled,     // by an operator; back only by an operator
  LoadFailed,   // its file did not load
};
std::string_view memberStateName(MemberState state);  // "active", "retrying", "deactivated", ...

struct MemberStatus {
  plugins::PluginId id;
  std::int64_t cursor = 0;
  std::vector<GapRange> backlog;
  bool loaded = false;
  bool active = false;  // Active or Retrying: it receives events
  MemberState state = MemberState::Active;
  std::string reason;       // why it is not active
  std::string reloadError;  // a failed reload while its previous version keeps running
  std::uint64_t processed = 0;
  std::uint64_t failures = 0;  // failed attempts
  std::uint64_t retries = 0;
  std::uint64_t skipped = 0;  // events given up on with stopOnError off
  std::int64_t lastEventId = 0;
  std::optional<core::TimePoint> lastEventCreatedAt;
  std::string lastError;
  std::optional<core::TimePoint> inCallbackSince;  // set while a callback runs
  std::string inCallback;                          // that callback's name
  std::int64_t inCallbackEvent = 0;                // and its event
  // `callback_timeout` of a plugin in the lane's own thread (a worker process is killed at it instead):
  // past it the callback is reported stuck, since a thread cannot be stopped safely.
  std::optional<std::chrono::milliseconds> stuckAfter;
  bool stuck = false;  // in a callback for longer than stuckAfter (set by Engine::status())
};

// The callback currently running in a lane, for status and stuck detection: written by the lane around
// each call, read by whoever asks for the status. Its mutex is taken by the lane twice per callback and
// by readers a few times a second, so it is practically never contended (no system call).
struct LaneActivity {
  std::atomic<std::int64_t> sinceMicros{0};  // system time it started; 0 = none
  std::atomic<std::size_t> member{0};        // index into the lane's published members
  mutable std::mutex mutex;                  // for the two below, and for starting a call
  std::string callback;                      // the running callback's name
  std::int64_t eventId = 0;                  // and its event

  void begin(std::size_t memberIndex, const std::string& callbackName, std::int64_t event,
             std::int64_t startMicros) {
    std::lock_guard lock(mutex);
    callback.assign(callbackName);  // reuses its buffer: no allocation once warm
    eventId = event;
    member.store(memberIndex, std::memory_order_relaxed);
    sinceMicros.store(startMicros, std::memory_order_release);
  }
  void end() { sinceMicros.store(0, std::memory_order_release); }
};

// A callback in a lane's thread past its plugin's callback_timeout.
struct StuckCallback {
  plugins::PluginId id;
  std::string callback;
  std::int64_t eventId = 0;
  std::chrono::milliseconds running{0};
  std::chrono::milliseconds timeout{0};
};

// Lowest and highest cursor over the members that receive events (`any` false when none does).
struct LanePositions {
  std::int64_t fastest = 0;
  std::int64_t slowest = 0;
  bool any = false;
};

class StatusBoard {
 public:
  // `activity` must outlive the lane's entry (the lane removes it before it goes).
  void publish(const std::string& lane, std::vector<MemberStatus> members,
               const LaneActivity* activity = nullptr);
  void remove(const std::string& lane);
  std::vector<MemberStatus> members() const;
  // The callbacks running past their stuckAfter at `now`; allocates nothing when there are none, so the
  // daemon's main loop can ask several times a second.
  std::vector<StuckCallback> stuck(core::TimePoint now) const;
  LanePositions positions() const;

 private:
  mutable std::mutex mutex_;  // a leaf: held only to copy
  struct Entry {
    std::vector<MemberStatus> members;
    const LaneActivity* activity = nullptr;
  };
  std::map<std::string, Entry> lanes_;
};

}  // namespace sgeventd::engine
