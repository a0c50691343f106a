#pragma once
// Finds and loads the daemon config for a command, printing every problem for the operator.
#include <optional>

#include "app/cli.h"
#include "config/daemon_config.h"

namespace sgeventd::app {

// nullopt after printing why (the command then exits 1).
std::optional<config::DaemonConfig> loadConfigForCommand(const CommandLine& cl);

}  // namespace sgeventd::app
