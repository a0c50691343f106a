#pragma once
// What `sgeventd state show|failures|set` prints and does, kept apart from the command line so it is
// tested without the binary.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "core/expected.h"
#include "store/state_store.h"

namespace sgeventd::store {

// "4m12s", "1h03m", "2d05h", "0s"; negative durations print as "0s".
std::string shortDuration(std::chrono::seconds duration);

// Up to this many gap ranges a row lists them all; past it, the count and the first and last few.
inline constexpr std::size_t kGapRangesListed = 6;

struct StateTableOptions {
  bool allGaps = false;  // list every range however many (`state show --all-gaps`)
  // Whether the plugin's file is still in its folder: false shows "removed" instead of the stored status
  // (the store keeps a deleted plugin's position and last state); nullopt when it cannot be told.
  std::function<std::optional<bool>(const std::string& collection, const std::string& plugin)> fileExists;
};

// One row per plugin known to the store (checkpoint or status): collection, plugin, cursor, lag
// (fetcher head - cursor), open gaps with the time to their expiry, and status.
Expected<std::string> renderStateTable(StateStore& store, TimePoint now,
                                       const StateTableOptions& options = {});

// The newest failures, newest first.
Expected<std::string> renderFailures(StateStore& store, const std::optional<std::string>& plugin, int limit);

// Finds the plugin (in `collection`, or the only collection that knows it) and sets its cursor.
// Returns the line to print: "plugin logArgs in /plugins: cursor 1200 -> 1000 (gaps cleared)".
Expected<std::string> setPluginCursor(StateStore& store, const std::string& plugin, std::int64_t cursor,
                                      const std::optional<std::string>& collection);

}  // namespace sgeventd::store
