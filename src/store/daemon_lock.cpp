#include "store/daemon_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

namespace sgeventd::store {

namespace {

std::string lockPath(const std::string& dbPath) { return dbPath + ".lock"; }

}  // namespace

std::optional<long> lockOwnerPid(const std::string& dbPath) {
  std::ifstream in(lockPath(dbPath));
  long pid = 0;
  if (in >> pid && pid > 0) {
    return pid;
  }
  return std::nullopt;
}

Expected<DaemonLock> DaemonLock::acquire(const std::string& dbPath) {
  const std::string path = lockPath(dbPath);
  core::UniqueFd owned(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!owned.valid()) {
    return fail("cannot open lock file " + path + ": " + std::strerror(errno));
  }
  const int fd = owned.get();
  DaemonLock lock(std::move(owned));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error == EWOULDBLOCK) {
      const auto pid = lockOwnerPid(dbPath);
      return fail("state database " + dbPath + " is in use by another sgeventd (pid " +
                  (pid ? std::to_string(*pid) : std::string("unknown")) + ")");
    }
    return fail("cannot lock " + path + ": " + std::strerror(error));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return fail("cannot write pid to lock file " + path + ": " + std::strerror(errno));
  }
  return lock;
}

}  // namespace sgeventd::store
