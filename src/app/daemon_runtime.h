#pragma once
// Runs the daemon from a loaded configuration until a stop is requested: logging, state, plugins, the
// engine, signals. Shared by `foreground`, `start` (after daemonizing) and `demo`.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/daemon_config.h"

namespace sgeventd::app {

struct RunOptions {
  bool foreground = true;   // also log to stderr, as the original's foreground
  bool freshStart = false;  // --fresh-start: a lost state database starts afresh instead of stopping here
  // false (the demo): timing lines stay in the timing file, so the console reads one line per callback.
  bool timingOnConsole = true;
  // What happened before the log files opened (a stale pid file replaced): logged at WARNING first thing.
  std::vector<std::string> earlyWarnings;
  // Called once the daemon is running (or failed to start, with the reason): `start` tells the waiting
  // parent process; `demo` prints where things are.
  std::function<void(bool ok, const std::string& message)> onStarted;
};

// Returns the process exit code: 0 after a requested stop, non-zero after a failure.
int runDaemon(const config::DaemonConfig& config, const RunOptions& options);

}  // namespace sgeventd::app
