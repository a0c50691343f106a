#pragma once
// The one writer of a lane's checkpoints. Work a callback did is committed before the next event starts
// (a crash re-runs at most the event in flight); events that ran no callback are committed in groups,
// since re-running them has no effect. A disk that refuses a commit holds the lane rather than let it run
// ahead of what is durable.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "engine/member.h"
#include "store/state_store.h"

namespace sgeventd::engine {

class Checkpointer {
 public:
  // `pause(d)` sleeps between attempts against a failing disk; it returns false when the lane must stop.
  Checkpointer(store::StateStore& store, core::ClockPtr clock, std::chrono::milliseconds groupEvery,
               core::LoggerPtr log, std::string laneName,
               std::function<bool(std::chrono::milliseconds)> pause);

  // Commits every dirty member: now with `force`, else once groupEvery has passed since the last grouped
  // commit.
  // Returns false only when a stop came while the disk refused it (the members stay dirty).
  bool commit(std::vector<std::unique_ptr<Member>>& members, bool force);
  // An operator's rewind or skip: written at once, whatever the stored cursor was, and the member's
  // in-memory progress replaced, so nothing it had in memory can overwrite it later.
  Expected<void> setCursor(Member& member, std::int64_t cursor);

 private:
  store::StateStore& store_;
  core::ClockPtr clock_;
  std::chrono::milliseconds groupEvery_;
  core::LoggerPtr log_;
  std::string laneName_;
  std::function<bool(std::chrono::milliseconds)> pause_;
  std::chrono::steady_clock::time_point lastCommit_{};  // of the last grouped commit
  std::vector<store::Checkpoint> checkpoints_;          // the last commit's, kept for their buffers
};

}  // namespace sgeventd::engine
