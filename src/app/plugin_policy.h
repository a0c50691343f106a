#pragma once
// A plugin's failure policy from the config: [daemon] retry_*, reactivate_after and isolation, with its
// [plugin:NAME] overrides: the daemon's lanes and the broker workers' consumers follow the same rule. A
// name without overrides gets the [daemon] defaults.
#include <string>

#include "config/daemon_config.h"
#include "engine/failure_policy.h"

namespace sgeventd::app {

engine::FailurePolicy failurePolicyFor(const config::DaemonConfig& c, const std::string& pluginName);

}  // namespace sgeventd::app
