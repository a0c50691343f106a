#pragma once
// The log settings of a process that logs as the daemon does ([daemon] logging, log_mode, log_file,
// log_path, timing_log, log_rotation): the daemon's runtime and `sgeventd worker --broker`.
#include "config/daemon_config.h"
#include "logging/file_log_factory.h"

namespace sgeventd::app {

logging::LogSettings logSettingsOf(const config::DaemonConfig& c, bool foreground);

}  // namespace sgeventd::app
