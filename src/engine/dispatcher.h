#pragma once
// Runs one event through one plugin's callbacks: registration order, matchEvents with the original's
// semantics, the resume point of a failed callback, and the failure policy's verdict on each failure.
// It never sleeps: a retry is handed back as a due time, so the lane stays responsive to control requests
// and stops, and time comes from the injected clock.
#include <atomic>
#include <functional>
#include <optional>

#include "core/clock.h"
#include "core/log.h"
#include "engine/member.h"
#include "store/state_store.h"

namespace sgeventd::engine {

struct TimingRecord {
  std::int64_t eventId = 0;
  std::optional<TimePoint> createdAt;
  std::string callbackLogger;  // "plugin.<plugin>.<callback>"
  TimePoint start;
  TimePoint end;
  bool error = false;
};

enum class DispatchResult {
  Done,         // every callback ran (or was skipped after failing with stopOnError off)
  DoneRan,      // the same, and at least one callback ran: commit before the next event
  Waiting,      // a failed callback waits for its retry (Member::retry)
  Deactivated,  // stopOnError: the plugin stopped at this event
};

struct DispatchContext {
  store::StateStore& store;
  core::ClockPtr clock;
  core::LoggerPtr engineLog;
  core::LogFactoryPtr logs;                         // for plugin.<plugin>.<callback>
  std::function<void(const TimingRecord&)> timing;  // empty: no timing log
  LaneActivity* activity = nullptr;
};

class Dispatcher {
 public:
  explicit Dispatcher(DispatchContext context) : context_(std::move(context)) {}

  // Runs `event` for `member`, starting at its pending retry or resume point when they are for this event.
  // `memberIndex` is the member's place in its lane, for the activity marker.
  DispatchResult dispatch(Member& member, const core::EventPtr& event, std::size_t memberIndex);
  // An operator's replay of a recorded failure: the named callback once, whatever the policy says.
  plugins::InvokeResult replay(Member& member, std::size_t callback, const core::EventPtr& event,
                               std::size_t memberIndex);

 private:
  plugins::InvokeResult invoke(Member& member, std::size_t callback, const core::Event& event,
                               std::size_t memberIndex);
  // A transient failure was logged by the plugin at WARNING only (a retried event must not e-mail each
  // time); once it is given up on, the original's CRITICAL line goes out here.
  void reportGivenUp(Member& member, std::size_t callback, const plugins::InvokeResult& result);
  void deactivate(Member& member, const core::Event& event, std::size_t callback, int attempts,
                  const std::string& error);

  DispatchContext context_;
};

}  // namespace sgeventd::engine
