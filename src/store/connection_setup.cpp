#include "store/connection_setup.h"

#include "store/schema.h"

namespace sgeventd::store {

namespace {

Expected<std::string> singleText(const Connection& db, const std::string& sql) {
  auto statement = db.prepare(sql);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  auto row = statement->step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  return *row ? statement->text(0) : std::string();
}

}  // namespace

Error describeOpenError(const std::string& path, const Error& error) {
  const int primary = error.code & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    return Error{"state database " + path + " is not a SQLite database or is corrupt (" + error.message + ")",
                 error.code};
  }
  return Error{"cannot open state database " + path + ": " + error.message, error.code};
}

Expected<void> configureWritable(const Connection& db, const std::string& path, SyncMode sync) {
  auto journal = singleText(db, "PRAGMA journal_mode = WAL");
  if (!journal) {
    return tl::unexpected(describeOpenError(path, journal.error()));
  }
  if (*journal != "wal") {
    return fail("state database " + path + " cannot use WAL journaling (journal_mode is " + *journal + ")");
  }
  SGEVENTD_TRY(db.exec(sync == SyncMode::Full ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
                                              : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON"));
  auto check = singleText(db, "PRAGMA quick_check");
  if (!check) {
    return tl::unexpected(describeOpenError(path, check.error()));
  }
  if (*check != "ok") {
    return fail("state database " + path + " is corrupt: " + *check);
  }
  return migrate(db, path);
}

Expected<void> configureReadOnly(const Connection& db, const std::string& path) {
  auto version = schemaVersion(db);
  if (!version) {
    return tl::unexpected(describeOpenError(path, version.error()));
  }
  if (*version == 0) {
    return fail("state database " + path + " holds no sgeventd state yet");
  }
  if (*version > kSchemaVersion) {
    return fail("state database " + path + " has schema version " + std::to_string(*version) +
                ", newer than this sgeventd supports (" + std::to_string(kSchemaVersion) + ")");
  }
  return {};
}

Expected<int> tableCount(const Connection& db, const std::string& path) {
  auto statement = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'");
  if (!statement) {
    return tl::unexpected(describeOpenError(path, statement.error()));
  }
  auto row = statement->step();
  if (!row) {
    return tl::unexpected(describeOpenError(path, row.error()));
  }
  return *row ? static_cast<int>(statement->int64(0)) : 0;
}

}  // namespace sgeventd::store
