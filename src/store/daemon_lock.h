#pragma once
// The exclusive lock that makes one state database belong to one sgeventd: flock(2) on the database
// file itself, so whatever path reaches it (a symlink, a relative path, a bind mount) locks the same
// inode, and there is no separate lock file that could be deleted out from under a running daemon. The
// kernel drops the lock when the process dies, so a kill -9 never leaves a stale lock behind.
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "core/expected.h"
#include "core/unique_fd.h"

namespace sgeventd::store {

// What a path or a descriptor leads to: the same device and inode is the same file, whatever its name.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

// Symlinks followed; nullopt when nothing is there.
std::optional<FileIdentity> identityOfPath(const std::string& path);

class DaemonLock {
 public:
  // Creates the database file when it does not exist yet (an empty file, which SQLite takes as a new
  // database), so the lock is held before SQLite writes anything. Fails with "state database <dbPath>
  // is in use by another sgeventd (pid N)" when held elsewhere.
  static Expected<DaemonLock> acquire(const std::string& dbPath);

  DaemonLock() = default;

  bool held() const { return fd_.valid(); }
  // The locked file, wherever it has been renamed to (or deleted) since.
  std::optional<FileIdentity> identity() const;

 private:
  explicit DaemonLock(core::UniqueFd fd) : fd_(std::move(fd)) {}
  // Closing the descriptor releases the flock. It must be closed after SQLite's own connection: closing
  // any descriptor of a file drops the POSIX locks the process holds on it (SqliteStateStore declares
  // its lock before its connection, so the connection goes first).
  core::UniqueFd fd_;
};

// Who holds the daemon lock of the database at `dbPath` (symlinks followed), read from /proc/locks
// without taking the lock (testing it by taking it could make a daemon starting at that instant fail).
// nullopt when nobody holds it or the database does not exist; an error when /proc/locks cannot be read.
Expected<std::optional<pid_t>> lockHolder(const std::string& dbPath);

}  // namespace sgeventd::store
