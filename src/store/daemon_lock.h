#pragma once
// The exclusive lock that makes one state database belong to one sgeventd: flock(2) on "<db>.lock",
// holding the owner's pid so the second comer can say who has it. The kernel drops the lock when the
// process dies, so a kill -9 never leaves a stale lock behind.
#include <optional>
#include <string>

#include "core/expected.h"

namespace sgeventd::store {

class DaemonLock {
 public:
  // Fails with "state database <dbPath> is in use by another sgeventd (pid N)" when held elsewhere.
  static Expected<DaemonLock> acquire(const std::string& dbPath);

  DaemonLock() = default;
  DaemonLock(DaemonLock&& other) noexcept;
  DaemonLock& operator=(DaemonLock&& other) noexcept;
  DaemonLock(const DaemonLock&) = delete;
  DaemonLock& operator=(const DaemonLock&) = delete;
  ~DaemonLock();

  bool held() const { return fd_ >= 0; }

 private:
  explicit DaemonLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The pid written in "<dbPath>.lock", when the file exists and holds one.
std::optional<long> lockOwnerPid(const std::string& dbPath);

}  // namespace sgeventd::store
