// SqliteStateStore's answer to its database being deleted or replaced under the running daemon. The
// connection still reads the file it opened (an unlinked inode lives on while it is open), and that file
// holds every plugin's cursor, backlog and status as last committed: it is copied to a new file at the
// path, which takes the daemon lock before it gets the name, so no second daemon can slip in between.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "core/unique_fd.h"
#include "store/connection_setup.h"
#include "store/sqlite_state_store.h"
#include "store/state_marker.h"

namespace sgeventd::store {

namespace {

// A page-by-page copy through SQLite's backup API: a consistent snapshot of what `from` has committed.
Expected<void> copyInto(const Connection& from, const std::string& to) {
  auto dest = Connection::open(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dest) {
    return tl::unexpected(dest.error());
  }
  sqlite3_backup* backup = sqlite3_backup_init(dest->get(), "main", from.get(), "main");
  if (backup == nullptr) {
    return fail("cannot copy the state: " + dest->lastError());
  }
  const int stepped = sqlite3_backup_step(backup, -1);
  const int finished = sqlite3_backup_finish(backup);
  if (stepped != SQLITE_DONE || finished != SQLITE_OK) {
    return fail(std::string("cannot copy the state: ") +
                sqlite3_errstr(stepped != SQLITE_DONE ? stepped : finished));
  }
  return {};
}

void syncFolder(const std::filesystem::path& file) {
  const auto folder = file.parent_path();
  core::UniqueFd dir(::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) {
    (void)::fsync(dir.get());
  }
}

std::string counts(const Connection& db) {
  auto statement = db.prepare(
      "SELECT (SELECT count(*) FROM checkpoints), (SELECT count(*) FROM gaps), "
      "(SELECT count(*) FROM plugin_status)");
  if (!statement || !statement->step().value_or(false)) {
    return "its plugin positions, backlogs and statuses";
  }
  const auto count = [&](int column, const char* one, const char* many) {
    const auto n = statement->int64(column);
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return count(0, "plugin position", "plugin positions") + ", " +
         count(1, "backlog range", "backlog ranges") + ", " + count(2, "plugin status", "plugin statuses");
}

}  // namespace

void SqliteStateStore::keepIdentity() {
  if (mode_ != OpenMode::Daemon || !identity_ || !db_.get()) {
    return;
  }
  const auto now = identityOfPath(path_);
  if (now == identity_) {
    return;
  }
  const bool replaced = now.has_value();
  const char* what = replaced ? "was replaced by another file" : "was deleted";
  auto rewritten = rewriteLostDatabase(replaced);
  if (!rewritten) {
    if (!rewriteFailing_) {
      critical("State database " + path_ + " " + what +
               " while sgeventd was running, and could not be rewritten: " + rewritten.error().message +
               ". The state lives on only in this process: it is tried again at the next write; do not stop "
               "sgeventd before that works, or the state is lost.");
    }
    rewriteFailing_ = true;
    return;
  }
  rewriteFailing_ = false;
}

Expected<void> SqliteStateStore::rewriteLostDatabase(bool replaced) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path(path_);
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
  }
  const std::string temporary = path_ + ".rewrite";
  fs::remove(temporary, ec);
  fs::remove(temporary + "-journal", ec);
  auto newLock = DaemonLock::acquire(temporary);
  if (!newLock) {
    return tl::unexpected(newLock.error());
  }
  if (auto copied = copyInto(db_, temporary); !copied) {
    fs::remove(temporary, ec);
    return copied;
  }

  // From here the old connection goes; whatever is left at the path (the file moved there, or the old
  // connection's write-ahead log) must not be mistaken for part of the new database.
  statements_.reset();
  db_ = Connection();
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  const std::string aside = path_ + ".set-aside-" + std::to_string(seconds.count());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (fs::exists(path_ + suffix, ec)) {
      fs::rename(path_ + suffix, aside + suffix, ec);
    }
  }
  fs::rename(temporary, path_, ec);
  const std::string live = ec ? temporary : path_;  // keep a connection to the copy whatever happens
  const auto renameError = ec;
  syncFolder(path);
  lock_ = std::move(*newLock);
  identity_ = lock_.identity();

  auto db = Connection::open(live, SQLITE_OPEN_READWRITE);
  if (!db) {
    return tl::unexpected(db.error());
  }
  sqlite3_busy_timeout(db->get(), kBusyTimeoutMs);
  auto configured = configureWritable(*db, live, sync_);
  db_ = std::move(*db);
  if (renameError) {
    return fail("the copy " + temporary + " could not be renamed to " + path_ + ": " + renameError.message());
  }
  if (!configured) {
    return configured;
  }
  if (!markerExists(path_)) {
    (void)writeMarker(path_);
  }
  critical("State database " + path_ + (replaced ? " was replaced by another file" : " was deleted") +
           " while sgeventd was running. It has been rewritten from the daemon's state (" + counts(db_) +
           ") and locked again" + (replaced ? "; the file found there is kept as " + aside : std::string()) +
           ".");
  return {};
}

}  // namespace sgeventd::store
