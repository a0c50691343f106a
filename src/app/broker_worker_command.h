#pragma once
// `sgeventd -c CONF worker --broker [URL]`: plugin workers as JetStream durable pull consumers
// (docs/scaling-out.md).
#include <optional>
#include <string>

#include "config/daemon_config.h"

namespace sgeventd::app {

// `url`: --broker's value, which replaces [broker] url; nullopt or "" keeps the config's. Returns the
// exit code: 0 after SIGTERM or SIGINT, 1 when it cannot start.
int runBrokerWorker(const config::DaemonConfig& config, const std::optional<std::string>& url);

}  // namespace sgeventd::app
