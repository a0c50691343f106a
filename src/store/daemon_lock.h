#pragma once
// The exclusive lock that makes one state database belong to one sgeventd: flock(2) on "<db>.lock",
// holding the owner's pid so the second comer can say who has it. The kernel drops the lock when the
// process dies, so a kill -9 never leaves a stale lock behind.
#include <optional>
#include <string>
#include <utility>

#include "core/expected.h"
#include "core/unique_fd.h"

namespace sgeventd::store {

class DaemonLock {
 public:
  // Fails with "state database <dbPath> is in use by another sgeventd (pid N)" when held elsewhere.
  static Expected<DaemonLock> acquire(const std::string& dbPath);

  DaemonLock() = default;

  bool held() const { return fd_.valid(); }

 private:
  explicit DaemonLock(core::UniqueFd fd) : fd_(std::move(fd)) {}
  // Closing the descriptor releases the flock; the file stays (removing it would race a new owner).
  core::UniqueFd fd_;
};

// The pid written in "<dbPath>.lock", when the file exists and holds one.
std::optional<long> lockOwnerPid(const std::string& dbPath);

}  // namespace sgeventd::store
