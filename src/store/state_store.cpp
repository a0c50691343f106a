#include "store/state_store.h"

#include <filesystem>
#include <system_error>

#include "store/connection_setup.h"
#include "store/daemon_lock.h"
#include "store/filesystem_check.h"
#include "store/schema.h"
#include "store/sqlite_state_store.h"
#include "store/state_marker.h"

namespace sgeventd::store {

namespace {

const char* kWhatToDo =
    "Restore it from a backup (with sgeventd stopped), or start once with --fresh-start: every plugin then "
    "begins after the newest event, and the events since its last saved position are not processed";

// The database file as the lock found it: missing (we just created it), empty, or holding pages.
enum class FileFound { Missing, Empty, Present };

FileFound fileFound(bool existedBefore, const std::string& path) {
  if (!existedBefore) {
    return FileFound::Missing;
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return !ec && size == 0 ? FileFound::Empty : FileFound::Present;
}

// Tells a first start from a lost state before SQLite writes anything; a lost state is refused unless
// the operator asked for a fresh start.
Expected<StateOrigin> originOf(const std::string& path, FileFound found, LostState lost) {
  const bool marked = markerExists(path);
  if (found == FileFound::Missing && !marked) {
    return StateOrigin::FirstStart;
  }
  if (found == FileFound::Present) {
    return StateOrigin::Existing;  // judged again once its schema is read
  }
  if (lost == LostState::StartAfresh) {
    return StateOrigin::FreshAfterLoss;
  }
  if (found == FileFound::Missing) {
    std::error_code ec;
    std::filesystem::remove(path, ec);  // the lock created it empty; leave the folder as it was found
    return fail("state lost: sgeventd ran here before (" + markerPath(path) +
                " says so) but the state database " + path + " is missing. " + kWhatToDo);
  }
  return fail("state lost: the state database " + path + " is empty (0 bytes). " + kWhatToDo);
}

// A database file that opened but holds no sgeventd schema: an empty SQLite file is a lost state, one
// with other tables is somebody else's database.
Expected<StateOrigin> judgeSchema(const Connection& db, const std::string& path, LostState lost) {
  auto version = schemaVersion(db);
  if (!version) {
    return tl::unexpected(describeOpenError(path, version.error()));
  }
  if (*version != 0) {
    return StateOrigin::Existing;
  }
  auto tables = tableCount(db, path);
  if (!tables) {
    return tl::unexpected(tables.error());
  }
  if (*tables > 0) {
    return fail("state database " + path +
                " is a SQLite database without sgeventd's schema (it holds other tables); point "
                "state_database at a file of its own");
  }
  if (lost == LostState::StartAfresh) {
    return StateOrigin::FreshAfterLoss;
  }
  return fail("state lost: the state database " + path + " holds no sgeventd state (no schema). " +
              kWhatToDo);
}

}  // namespace

Expected<std::unique_ptr<StateStore>> StateStore::open(const std::string& path, OpenMode mode, SyncMode sync,
                                                       LostState lost) {
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
  StateOrigin origin = StateOrigin::Existing;
  if (mode == OpenMode::ReadOnly) {
    if (!exists) {
      return fail("state database " + path + " does not exist" +
                  (markerExists(path)
                       ? " (sgeventd ran with it before, " + markerPath(path) + " says so: the state is lost)"
                       : ""));
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
    auto judged = originOf(path, fileFound(exists, path), lost);
    if (!judged) {
      return tl::unexpected(judged.error());
    }
    origin = *judged;
  }

  auto db = Connection::open(path, flags);
  if (!db) {
    return tl::unexpected(describeOpenError(path, db.error()));
  }
  sqlite3_busy_timeout(db->get(), kBusyTimeoutMs);
  if (mode == OpenMode::ReadOnly) {
    if (auto configured = configureReadOnly(*db, path); !configured) {
      return tl::unexpected(configured.error());
    }
  } else {
    if (origin == StateOrigin::Existing) {
      auto judged = judgeSchema(*db, path, lost);
      if (!judged) {
        return tl::unexpected(judged.error());
      }
      origin = *judged;
    }
    if (auto configured = configureWritable(*db, path, sync); !configured) {
      return tl::unexpected(configured.error());
    }
    // Only now does the folder remember a daemon ran here: a database with its schema exists to lose. A
    // database from before markers gets one at its first open.
    if (origin != StateOrigin::Existing || !markerExists(path)) {
      if (auto marked = writeMarker(path); !marked) {
        return tl::unexpected(marked.error());
      }
    }
  }
  auto store = std::make_unique<SqliteStateStore>(path, mode, sync, origin, std::move(*db), std::move(lock),
                                                  std::move(warnings));
  if (auto started = store->startJournal(); !started) {
    return tl::unexpected(started.error());
  }
  return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace sgeventd::store
