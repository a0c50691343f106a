#include "admin/readiness.h"

#include <fmt/format.h>

namespace sgeventd::admin {

std::chrono::milliseconds siteSilenceLimit(std::chrono::milliseconds fetchInterval) {
  return std::max<std::chrono::milliseconds>(3 * fetchInterval, std::chrono::seconds(30));
}

Readiness evaluateReadiness(const engine::EngineStatus& status, core::TimePoint now,
                            const ReadinessRules& rules, bool stopping) {
  using std::chrono::duration;
  if (stopping) {
    return {false, "the daemon is stopping"};
  }
  if (!status.fetcher.lastContact) {
    return {false, "the site has not answered yet"};
  }
  const auto silence = now - *status.fetcher.lastContact;
  const auto limit = siteSilenceLimit(rules.fetchInterval);
  if (silence > limit) {
    std::string reason = fmt::format("the site last answered {:.0f} s ago (the limit is {:.0f} s)",
                                     duration<double>(silence).count(), duration<double>(limit).count());
    if (!status.fetcher.lastError.empty()) {
      reason += ": " + status.fetcher.lastError;
    }
    return {false, reason};
  }
  for (const auto& plugin : status.plugins) {
    if (!plugin.active || !plugin.inCallbackSince) {
      continue;
    }
    const auto running = now - *plugin.inCallbackSince;
    // A plugin in a lane's thread is stuck past its own callback_timeout when that is the lower limit.
    if (plugin.stuckAfter && *plugin.stuckAfter < rules.stuckAfter && running > *plugin.stuckAfter) {
      return {false,
              fmt::format("plugin {} is stuck: callback {} has been running on event {} for {:.0f} s "
                          "(its callback_timeout is {} s)",
                          plugin.id.name, plugin.inCallback, plugin.inCallbackEvent,
                          duration<double>(running).count(), duration<double>(*plugin.stuckAfter).count())};
    }
    if (running > rules.stuckAfter) {
      return {false,
              fmt::format("plugin {} has been in one callback for {:.0f} s (stuck_after is {} s)",
                          plugin.id.name, duration<double>(running).count(), rules.stuckAfter.count())};
    }
  }
  return {true, ""};
}

}  // namespace sgeventd::admin
