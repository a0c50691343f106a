#pragma once
// The daemon's durable state in SQLite (WAL): per plugin its checkpoint and open gaps, failure records
// and status; the fetcher's head. Every commit is one transaction, durable on return against any crash
// of the process (and against power loss too under SyncMode::Full).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace sgeventd::store {

using TimePoint = std::chrono::system_clock::time_point;

// Ids [first, last] skipped by the log that may still commit until `expires`.
struct GapRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
  TimePoint expires{};
  bool operator==(const GapRange&) const = default;
};

// A plugin's position: every event with id <= cursor is done, except the ids in `gaps`, which have not
// appeared yet. cursor 0 means "no position yet".
struct Checkpoint {
  std::string collection;  // plugins::PluginId::collection
  std::string plugin;      // plugins::PluginId::name
  std::int64_t cursor = 0;
  std::vector<GapRange> gaps;
  bool operator==(const Checkpoint&) const = default;
};

struct FailureRecord {
  std::string collection;
  std::string plugin;
  std::string callback;
  std::int64_t eventId = 0;
  int attempts = 0;
  std::string error;
  TimePoint at{};
  bool final = false;     // the lane gave up on it (stopOnError=False) or deactivated the plugin
  std::string eventJson;  // the event as the site sent it, so a replay needs no site; empty in old records
  std::int64_t id = 0;    // assigned by the store; 0 on a record not read back
};

// Inactive: deactivated by its failures (stopOnError); Disabled: turned off by an operator. Both outlive a
// restart; only a change on disk, SIGHUP, reactivate_after or an operator brings Inactive back, only an
// operator brings Disabled back.
enum class PluginState { Active, Inactive, LoadFailed, Disabled };

std::string_view pluginStateName(PluginState state);  // "active", "inactive", "load-failed", "disabled"

struct PluginStatus {
  std::string collection;
  std::string plugin;
  PluginState state = PluginState::Active;
  std::string reason;  // why inactive
  TimePoint since{};
  // Where an Inactive plugin resumes: the event whose callback failed, and that callback's name.
  std::int64_t resumeEvent = 0;
  std::string resumeCallback;
};

// A plugin in the daemon's own threads that took the daemon down in a callback (a fatal signal noted by
// the crash handler, engine/crash_note.h), counted across restarts: the event it crashed on and how many
// times in a row. It is forgotten once the plugin is past that event, deactivated or isolated.
struct CrashCount {
  std::string collection;
  std::string plugin;
  std::int64_t eventId = 0;
  std::string callback;
  int crashes = 0;
  int signal = 0;
  TimePoint at{};
  bool operator==(const CrashCount&) const = default;
};

// A plugin moved to a worker process after crashing the daemon (`on_crash = isolate`). It stays there as
// long as its file is the one that crashed: `signature` describes that file (size, mtime, inode).
struct CrashIsolation {
  std::string collection;
  std::string plugin;
  std::string path;
  std::string signature;
  std::string reason;
  TimePoint since{};
  bool operator==(const CrashIsolation&) const = default;
};

enum class OpenMode {
  Daemon,    // read-write, takes the exclusive daemon lock; a second daemon gets a clear error
  ReadOnly,  // `sgeventd state show` while a daemon runs
  Offline,   // read-write for `state set`; refuses when a daemon holds the lock
};

// How commits reach the disk: Full fsyncs each one (survives power loss); Normal leaves the WAL to the
// OS (survives any process crash; a WalSyncer bounds what power loss may roll back).
enum class SyncMode { Full, Normal };

// What a writer does when the state folder's marker (state_marker.h) says a daemon ran there but the
// database is missing, empty or has no schema: refuse with what to do (the default), or start afresh
// because the operator said so (`--fresh-start`). A database that holds state is never wiped either way.
enum class LostState { Refuse, StartAfresh };

// What an open found: the state as saved, a first start (no database and no marker), or a lost state
// started afresh on the operator's word.
enum class StateOrigin { Existing, FirstStart, FreshAfterLoss };

class StateStore {
 public:
  static Expected<std::unique_ptr<StateStore>> open(const std::string& path, OpenMode mode,
                                                    SyncMode sync = SyncMode::Full,
                                                    LostState lost = LostState::Refuse);
  virtual ~StateStore() = default;

  virtual Expected<std::vector<Checkpoint>> loadCheckpoints() = 0;
  virtual Expected<std::optional<Checkpoint>> loadCheckpoint(const std::string& collection,
                                                             const std::string& plugin) = 0;
  // One transaction for all of them; durable when it returns. Safe to call from several threads
  // (concurrent commits may be grouped into one transaction). Each checkpoint replaces the plugin's
  // cursor and its whole gap list. A cursor lower than the stored one is refused (nothing of that call
  // is written): cursors only move backwards through setCursor.
  virtual Expected<void> commit(const std::vector<Checkpoint>& checkpoints) = 0;

  // The operator's explicit rewind or skip (`sgeventd state set`): sets the cursor whatever it was and
  // clears the plugin's gaps. Creates the checkpoint when the plugin has none.
  virtual Expected<void> setCursor(const std::string& collection, const std::string& plugin,
                                   std::int64_t cursor) = 0;

  virtual Expected<void> recordFailure(const FailureRecord& failure) = 0;
  // The newest `limit` records (of one plugin name, any collection, when given), newest first. The
  // store keeps the last 10000.
  virtual Expected<std::vector<FailureRecord>> failures(std::optional<std::string> plugin, int limit) = 0;
  // One record by its id; nullopt when the store no longer has it.
  virtual Expected<std::optional<FailureRecord>> failure(std::int64_t id) = 0;

  virtual Expected<void> setPluginStatus(const PluginStatus& status) = 0;
  virtual Expected<std::vector<PluginStatus>> pluginStatuses() = 0;

  virtual Expected<void> setHead(std::int64_t head) = 0;
  virtual Expected<std::optional<std::int64_t>> head() = 0;

  // Counts one more crash of `crash.plugin` on `crash.eventId` (`crash.crashes` is ignored): one more than
  // before when its last counted crash was on the same event, else 1. Returns the record as stored.
  // The SQLite store keeps these; a store without them (a test fake) fails.
  virtual Expected<CrashCount> countCrash(const CrashCount& crash) {
    (void)crash;
    return fail("this state store keeps no crash counts");
  }
  virtual Expected<std::vector<CrashCount>> crashCounts() { return std::vector<CrashCount>{}; }
  virtual Expected<void> clearCrashCount(const std::string& collection, const std::string& plugin) {
    (void)collection;
    (void)plugin;
    return {};
  }
  virtual Expected<void> setCrashIsolation(const CrashIsolation& isolation) {
    (void)isolation;
    return fail("this state store keeps no crash isolation");
  }
  virtual Expected<std::vector<CrashIsolation>> crashIsolations() { return std::vector<CrashIsolation>{}; }
  virtual Expected<void> clearCrashIsolation(const std::string& collection, const std::string& plugin) {
    (void)collection;
    (void)plugin;
    return {};
  }

  // A flag the legacy-state importer sets once: "imported <eventIdFile> at <time>".
  virtual Expected<std::optional<std::string>> meta(const std::string& key) = 0;
  virtual Expected<void> setMeta(const std::string& key, const std::string& value) = 0;

  // Problems found at open that do not stop the daemon (the database is on NFS): log them at WARNING.
  virtual const std::vector<std::string>& warnings() const = 0;
  virtual const std::string& path() const = 0;
  virtual StateOrigin origin() const { return StateOrigin::Existing; }
  // Where the daemon's store reports, at CRITICAL, that its database was deleted or replaced while it
  // ran and has been rewritten from what it holds (or could not be).
  virtual void setCriticalLog(std::function<void(const std::string&)> critical) { (void)critical; }
};
using StateStorePtr = std::unique_ptr<StateStore>;

}  // namespace sgeventd::store
