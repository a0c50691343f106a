#pragma once
// `sgeventd plugins`: the plugin files the config points at, with what the state database knows of them.
#include <ostream>

#include "config/daemon_config.h"

namespace sgeventd::app {

int listPlugins(const config::DaemonConfig& config, std::ostream& out);

}  // namespace sgeventd::app
