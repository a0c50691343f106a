#pragma once
// /readyz: ready when the fetcher heard from the site recently and no plugin that receives events is
// stuck in one callback (past stuck_after, or past its own callback_timeout when it runs in the daemon's
// threads and that is lower). The reason names the first thing that is wrong, for an operator to act on.
#include <chrono>
#include <string>

#include "engine/engine.h"

namespace sgeventd::admin {

struct Readiness {
  bool ready = false;
  std::string reason;  // empty when ready
};

struct ReadinessRules {
  std::chrono::milliseconds fetchInterval{5000};
  std::chrono::seconds stuckAfter{300};
};

// How long the site may stay silent: max(3 x fetch_interval, 30 s), so a daemon that polls slowly is not
// reported down between two polls.
std::chrono::milliseconds siteSilenceLimit(std::chrono::milliseconds fetchInterval);

Readiness evaluateReadiness(const engine::EngineStatus& status, core::TimePoint now,
                            const ReadinessRules& rules, bool stopping);

}  // namespace sgeventd::admin
