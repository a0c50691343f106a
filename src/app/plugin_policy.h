#pragma once
// A plugin's failure policy from the config: [daemon] retry_*, reactivate_after and isolation, with its
// [plugin:NAME] overrides. The same rule as the daemon's engine options (daemon_runtime.cpp builds the
// same values for its lanes; it can call this once that file is free to change).
#include <string>

#include "config/daemon_config.h"
#include "engine/failure_policy.h"

namespace sgeventd::app {

engine::FailurePolicy failurePolicyFor(const config::DaemonConfig& c, const std::string& pluginName);

}  // namespace sgeventd::app
