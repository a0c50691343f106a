#include "store/daemon_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace sgeventd::store {

namespace {

// "fd:01:5678": how /proc/locks names a file (device numbers in hex, the inode in decimal).
std::string procLocksName(const struct stat& info) {
  char device[32];
  std::snprintf(device, sizeof device, "%02x:%02x:", major(info.st_dev), minor(info.st_dev));
  return device + std::to_string(info.st_ino);
}

// The pid holding an exclusive flock on the file `info` describes, from /proc/locks.
Expected<std::optional<pid_t>> flockHolderOf(const struct stat& info) {
  std::ifstream locks("/proc/locks");
  if (!locks) {
    return fail(std::string("cannot read /proc/locks: ") + std::strerror(errno));
  }
  // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF". SQLite's own locks on the same file are POSIX
  // entries and are skipped; so are waiters ("1: -> FLOCK ...").
  const std::string name = procLocksName(info);
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string index, kind, mode, access, where;
    long pid = 0;
    if (!(fields >> index >> kind) || kind == "->") {
      continue;
    }
    if (fields >> mode >> access >> pid >> where && kind == "FLOCK" && access == "WRITE" && where == name &&
        pid > 0) {
      return static_cast<pid_t>(pid);
    }
  }
  return std::optional<pid_t>();
}

// The path as given, and where it leads when that differs (a symlink), for messages.
std::string describePath(const std::string& dbPath) {
  std::error_code ec;
  const auto resolved = std::filesystem::canonical(dbPath, ec);
  if (ec || resolved == std::filesystem::absolute(dbPath, ec)) {
    return dbPath;
  }
  return dbPath + " (" + resolved.string() + ")";
}

}  // namespace

std::optional<FileIdentity> identityOfPath(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return std::nullopt;
  }
  return FileIdentity{info.st_dev, info.st_ino};
}

std::optional<FileIdentity> DaemonLock::identity() const {
  struct stat info {};
  if (!fd_.valid() || ::fstat(fd_.get(), &info) != 0) {
    return std::nullopt;
  }
  return FileIdentity{info.st_dev, info.st_ino};
}

Expected<std::optional<pid_t>> lockHolder(const std::string& dbPath) {
  struct stat info {};
  if (::stat(dbPath.c_str(), &info) != 0) {
    return std::optional<pid_t>();  // no database: nobody can hold its lock
  }
  return flockHolderOf(info);
}

Expected<DaemonLock> DaemonLock::acquire(const std::string& dbPath) {
  // Why flock(2) on the database file: the lock must belong to what identifies the state, the inode,
  // not to a name next to it. SQLite locks the same file with POSIX (fcntl) byte-range locks; on Linux
  // flock locks live in a separate namespace, so they neither conflict with SQLite's nor get released
  // by SQLite's unlocking. An OFD lock would share the POSIX namespace and need a byte range SQLite is
  // guaranteed never to touch. (On NFS the kernel emulates flock with a whole-file POSIX lock, which
  // would block other processes' readers; the store already warns that NFS is unsupported.)
  // open() follows symlinks, so every path to the file locks the same inode.
  core::UniqueFd owned(::open(dbPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!owned.valid()) {
    return fail("cannot open state database " + dbPath + " to lock it: " + std::strerror(errno));
  }
  const int fd = owned.get();
  DaemonLock lock(std::move(owned));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error == EWOULDBLOCK) {
      struct stat info {};
      std::optional<pid_t> pid;
      if (::fstat(fd, &info) == 0) {
        if (auto holder = flockHolderOf(info); holder) {
          pid = *holder;
        }
      }
      return fail("state database " + describePath(dbPath) + " is in use by another sgeventd (pid " +
                  (pid ? std::to_string(*pid) : std::string("unknown")) + ")");
    }
    return fail("cannot lock state database " + dbPath + ": " + std::strerror(error));
  }
  return lock;
}

}  // namespace sgeventd::store
