#include "store/state_store.h"

#include <filesystem>
#include <system_error>

#include "store/daemon_lock.h"
#include "store/filesystem_check.h"
#include "store/schema.h"
#include "store/sqlite_state_store.h"

namespace sgeventd::store {

namespace {

constexpr int kBusyTimeoutMs = 5000;

// SQLite reports a file that is not a database only at the first read.
Error describeOpenError(const std::string& path, const Error& error) {
  const int primary = error.code & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    return Error{"state database " + path + " is not a SQLite database or is corrupt (" + error.message + ")",
                 error.code};
  }
  return Error{"cannot open state database " + path + ": " + error.message, error.code};
}

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

}  // namespace

Expected<std::unique_ptr<StateStore>> StateStore::open(const std::string& path, OpenMode mode,
                                                       SyncMode sync) {
  if (path.empty()) {
    return fail("no state database path given");
  }
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (exists && std::filesystem::is_directory(path, ec)) {
    return fail("state database " + path + " is a directory");
  }
  std::vector<std::string> warnings;
  if (auto warning = networkFilesystemWarning(path)) {
    warnings.push_back(*warning);
  }

  DaemonLock lock;
  int flags = 0;
  if (mode == OpenMode::ReadOnly) {
    if (!exists) {
      return fail("state database " + path + " does not exist");
    }
    flags = SQLITE_OPEN_READONLY;
  } else {
    const auto folder = std::filesystem::path(path).parent_path();
    if (!folder.empty()) {
      std::filesystem::create_directories(folder, ec);
      if (ec) {
        return fail("cannot create the folder of state database " + path + ": " + ec.message());
      }
    }
    auto acquired = DaemonLock::acquire(path);
    if (!acquired) {
      return tl::unexpected(acquired.error());
    }
    lock = std::move(*acquired);
    flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  }

  auto db = Connection::open(path, flags);
  if (!db) {
    return tl::unexpected(describeOpenError(path, db.error()));
  }
  sqlite3_busy_timeout(db->get(), kBusyTimeoutMs);
  auto configured =
      mode == OpenMode::ReadOnly ? configureReadOnly(*db, path) : configureWritable(*db, path, sync);
  if (!configured) {
    return tl::unexpected(configured.error());
  }
  return std::unique_ptr<StateStore>(
      std::make_unique<SqliteStateStore>(path, mode, std::move(*db), std::move(lock), std::move(warnings)));
}

}  // namespace sgeventd::store
