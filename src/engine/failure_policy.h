#pragma once
// What happens after a failed callback attempt: try again later, skip the event (stopOnError off), or
// deactivate the plugin. Only transient failures are retried by default, so a plugin written for the
// original daemon, which called a callback once, still runs once per event when it raises on bad data.
#include <chrono>
#include <optional>

#include "core/backoff.h"
#include "plugins/plugin.h"

namespace sgeventd::engine {

// retry_on: which failures are attempted again.
enum class RetryOn {
  Transient,  // Retry, Crashed and TimedOut results (network trouble seen by the plugin, a dead worker)
  Any,        // every failure
  Never,      // none: the original's behaviour
};

// How a plugin's failures are handled (daemon-wide values, or its [plugin:NAME] overrides).
struct FailurePolicy {
  int attempts = 3;  // per callback and event, counting the first; 1 = no retry
  core::BackoffPolicy backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)};
  RetryOn retryOn = RetryOn::Transient;
  std::chrono::seconds reactivateAfter{0};  // 0 = only a change on disk, SIGHUP or an operator reactivates
  std::optional<bool> stopOnError;          // overrides the callbacks' own registration value
  // `callback_timeout`: each attempt's deadline. A worker process is killed past it (TimedOut); a plugin
  // in the lane's thread cannot be, and is reported stuck.
  std::optional<std::chrono::milliseconds> callbackTimeout;
  // The plugin runs in a worker process (`isolation = process`, or moved there by `on_crash = isolate`);
  // false: in the lane's own thread, where a callback past callbackTimeout is reported stuck.
  bool inWorkerProcess = false;
};

struct FailureDecision {
  enum class Kind { RetryLater, Skip, Deactivate };
  Kind kind = Kind::Skip;
  std::chrono::milliseconds delay{0};  // RetryLater
};

class FailureHandling {
 public:
  explicit FailureHandling(FailurePolicy policy) : policy_(policy), backoff_(policy.backoff) {}

  // `attempt` is the number of the attempt that just failed (1 = the first call).
  FailureDecision decide(const plugins::InvokeResult& result, int attempt, bool callbackStopOnError);
  bool retryable(const plugins::InvokeResult& result) const;
  const FailurePolicy& policy() const { return policy_; }

 private:
  FailurePolicy policy_;
  core::Backoff backoff_;
};

}  // namespace sgeventd::engine
