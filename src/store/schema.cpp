#include "store/schema.h"

#include <array>
#include <string>

namespace sgeventd::store {

namespace {

// Times are microseconds since the Unix epoch (UTC).
constexpr const char* kVersion1 = R"sql(
CREATE TABLE checkpoints (
  collection TEXT NOT NULL,
  plugin TEXT NOT NULL,
  cursor INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (collection, plugin)
) WITHOUT ROWID;
CREATE TABLE gaps (
  collection TEXT NOT NULL,
  plugin TEXT NOT NULL,
  first_id INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (collection, plugin, first_id),
  FOREIGN KEY (collection, plugin) REFERENCES checkpoints (collection, plugin) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE failures (
  id INTEGER PRIMARY KEY,
  collection TEXT NOT NULL,
  plugin TEXT NOT NULL,
  callback TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT NOT NULL,
  at INTEGER NOT NULL,
  is_final INTEGER NOT NULL
);
CREATE INDEX failures_by_plugin ON failures (plugin, id);
CREATE TABLE plugin_status (
  collection TEXT NOT NULL,
  plugin TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  since INTEGER NOT NULL,
  PRIMARY KEY (collection, plugin)
) WITHOUT ROWID;
CREATE TABLE fetcher (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  head INTEGER NOT NULL
);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 2: a failure keeps its event (a replay needs no site), and a deactivated plugin keeps where it
// resumes (a restart keeps it deactivated at the failed callback).
constexpr const char* kVersion2 = R"sql(
ALTER TABLE failures ADD COLUMN event_json TEXT NOT NULL DEFAULT '';
ALTER TABLE plugin_status ADD COLUMN resume_event INTEGER NOT NULL DEFAULT 0;
ALTER TABLE plugin_status ADD COLUMN resume_callback TEXT NOT NULL DEFAULT '';
)sql";

// Version 3: crash loops in thread mode. A plugin that crashed the daemon is counted across restarts
// (one row per plugin: the event it crashed on and how often in a row), and one moved to a worker process
// for it (on_crash = isolate) stays there while its file is unchanged.
constexpr const char* kVersion3 = R"sql(
CREATE TABLE crash_counts (
  collection TEXT NOT NULL,
  plugin TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  callback TEXT NOT NULL,
  crashes INTEGER NOT NULL,
  signal INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (collection, plugin)
) WITHOUT ROWID;
CREATE TABLE crash_isolation (
  collection TEXT NOT NULL,
  plugin TEXT NOT NULL,
  path TEXT NOT NULL,
  signature TEXT NOT NULL,
  reason TEXT NOT NULL,
  since INTEGER NOT NULL,
  PRIMARY KEY (collection, plugin)
) WITHOUT ROWID;
)sql";

// migrations[i] moves the schema from version i to i + 1.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {kVersion1, kVersion2, kVersion3};

}  // namespace

Expected<int> schemaVersion(const Connection& db) {
  auto statement = db.prepare("PRAGMA user_version");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  auto row = statement->step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  return *row ? static_cast<int>(statement->int64(0)) : 0;
}

Expected<void> migrate(const Connection& db, const std::string& path) {
  SGEVENTD_TRY(db.exec("BEGIN IMMEDIATE"));
  auto version = schemaVersion(db);
  if (!version) {
    (void)db.exec("ROLLBACK");
    return tl::unexpected(version.error());
  }
  if (*version > kSchemaVersion) {
    (void)db.exec("ROLLBACK");
    return fail("state database " + path + " has schema version " + std::to_string(*version) +
                ", newer than this sgeventd supports (" + std::to_string(kSchemaVersion) + ")");
  }
  for (int from = *version; from < kSchemaVersion; ++from) {
    auto applied = db.exec(kMigrations[static_cast<std::size_t>(from)]);
    if (!applied) {
      (void)db.exec("ROLLBACK");
      return fail("state database " + path + ": migration to schema version " + std::to_string(from + 1) +
                  " failed: " + applied.error().message);
    }
  }
  auto committed = *version == kSchemaVersion
                       ? db.exec("COMMIT")
                       : db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion) + "; COMMIT");
  if (!committed) {
    (void)db.exec("ROLLBACK");
    return committed;
  }
  return {};
}

}  // namespace sgeventd::store
