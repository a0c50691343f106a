#pragma once
// What a start-up does after the previous run died in a plugin's callback. The crash handler
// (app/crash_handler.h) left a note naming the plugin, callback, event and signal; that plugin gets a
// Crashed attempt for the event, counted in the state database across restarts. At its retry_attempts-th
// crash on the same event it is deactivated there (as any plugin its failures deactivate: the engine keeps
// it so with a resume point at that event and callback, and a change to its file, SIGHUP,
// reactivate_after or an operator's enable bring it back), or with `on_crash = isolate` it runs in a
// worker process from then on, where a crash ends only that process. So a plugin that segfaults on one
// event cannot keep the daemon in a restart loop under systemd. A run that ended without a note
// (a clean stop, a `kill -9`, a power cut) blames nobody.
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/daemon_config.h"
#include "core/log.h"
#include "store/state_store.h"

namespace sgeventd::app {

// `<state_database>.crash`.
std::filesystem::path crashNotePath(const config::DaemonConfig& c);

// The plugins moved to a worker process for crashing the daemon. Each stays there while its file is the
// one that crashed; a new version (any change to the file) brings it back into the daemon's threads.
// Keyed by plugin name, as the process loader's placement is. Thread-safe: the catalog asks on every scan.
class CrashIsolated {
 public:
  CrashIsolated(store::StateStore& store, core::LoggerPtr log, std::vector<store::CrashIsolation> marks);

  // True while `pluginName` has a mark whose file is unchanged; a mark whose file changed is dropped
  // (logged, and removed from the state database).
  bool contains(const std::string& pluginName);
  std::vector<std::string> names() const;

 private:
  store::StateStore& store_;
  core::LoggerPtr log_;
  mutable std::mutex mutex_;
  std::vector<store::CrashIsolation> marks_;
};

// A file's identity as a crash isolation keeps it ("" when the file is gone).
std::string crashSignature(const std::filesystem::path& file);

// Handles the note the previous run left, if any (and removes it), forgets the crash counts of plugins
// that have since got past their event, and returns the plugins that run in a worker process because
// they crashed the daemon. Call it after the state database opens and before the plugins load.
std::shared_ptr<CrashIsolated> recoverFromCrash(const config::DaemonConfig& c, store::StateStore& store,
                                                core::LoggerPtr log);

}  // namespace sgeventd::app
