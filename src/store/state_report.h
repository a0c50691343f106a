#pragma once
// What `sgeventd state show|failures|set` prints and does, kept apart from the command line so it is
// tested without the binary.
#include <optional>
#include <string>

#include "core/expected.h"
#include "store/state_store.h"

namespace sgeventd::store {

// "4m12s", "1h03m", "2d05h", "0s"; negative durations print as "0s".
std::string shortDuration(std::chrono::seconds duration);

// One row per plugin known to the store (checkpoint or status): collection, plugin, cursor, lag
// (fetcher head - cursor), open gaps with the time to their expiry, and status.
Expected<std::string> renderStateTable(StateStore& store, TimePoint now);

// The newest failures, newest first.
Expected<std::string> renderFailures(StateStore& store, const std::optional<std::string>& plugin, int limit);

// Finds the plugin (in `collection`, or the only collection that knows it) and sets its cursor.
// Returns the line to print: "plugin logArgs in /plugins: cursor 1200 -> 1000 (gaps cleared)".
Expected<std::string> setPluginCursor(StateStore& store, const std::string& plugin, std::int64_t cursor,
                                      const std::optional<std::string>& collection);

}  // namespace sgeventd::store
