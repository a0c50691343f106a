#pragma once
// One plugin inside a lane: what it runs, where it is in the log, and how it is doing. Owned and touched
// by its lane's thread only; the outside world sees it through the StatusBoard.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/event.h"
#include "core/log.h"
#include "core/metrics.h"
#include "engine/failure_policy.h"
#include "engine/progress.h"
#include "engine/status_board.h"
#include "plugins/plugin.h"

namespace sgeventd::engine {

// Where an event's dispatch continues: the callback that failed (by name, so a reloaded version with
// callbacks added or removed resumes at the same one; by index when the name is gone).
struct ResumePoint {
  std::int64_t eventId = 0;  // 0: none
  std::string callback;
  std::size_t index = 0;
};

// A failed attempt waiting for its next try.
struct PendingRetry {
  core::EventPtr event;
  std::size_t callback = 0;
  int nextAttempt = 2;
  std::chrono::steady_clock::time_point due;
};

struct MemberMetrics {
  core::CounterPtr processed;
  core::CounterPtr failed;
  core::CounterPtr retried;
  core::CounterPtr skipped;
  core::HistogramPtr duration;
  core::GaugePtr lagEvents;
  core::GaugePtr lagSeconds;

  static MemberMetrics create(core::Metrics& metrics, const plugins::PluginId& id);
};

struct Member {
  Member(plugins::PluginId pluginId, plugins::PluginPtr p, std::string error, Progress start,
         FailurePolicy pol, core::LoggerPtr logger, MemberMetrics m)
      : id(std::move(pluginId)),
        plugin(std::move(p)),
        loadError(std::move(error)),
        progress(std::move(start)),
        failures(pol),
        log(std::move(logger)),
        metrics(std::move(m)),
        key(id.key()) {
    state = plugin ? MemberState::Active : MemberState::LoadFailed;
    reason = plugin ? "" : loadError;
  }

  bool receives() const { return state == MemberState::Active || state == MemberState::Retrying; }

  plugins::PluginId id;
  plugins::PluginPtr plugin;
  std::string loadError;
  std::string reloadError;
  Progress progress;
  FailureHandling failures;
  core::LoggerPtr log;  // plugin.<name>
  MemberMetrics metrics;
  std::string key;

  MemberState state = MemberState::Active;
  std::string reason;
  std::optional<std::chrono::steady_clock::time_point> reactivateAt;
  ResumePoint resume;
  std::optional<PendingRetry> retry;
  std::optional<std::chrono::steady_clock::time_point> settleRetryAt;  // after a failed backlog read
  bool dirty = false;                                                  // progress not committed yet
  std::uint32_t uncommittedAhead = 0;  // events taken from a worker's run-ahead since the last commit

  std::uint64_t processed = 0;
  std::uint64_t failedAttempts = 0;
  std::uint64_t retries = 0;
  std::uint64_t skipped = 0;
  std::int64_t lastEventId = 0;
  std::optional<core::TimePoint> lastEventCreatedAt;
  std::string lastError;
};

}  // namespace sgeventd::engine
