#include "engine/checkpointer.h"

#include <fmt/format.h>

#include <algorithm>

namespace sgeventd::engine {

Checkpointer::Checkpointer(store::StateStore& store, core::ClockPtr clock,
                           std::chrono::milliseconds groupEvery, core::LoggerPtr log, std::string laneName,
                           std::function<bool(std::chrono::milliseconds)> pause)
    : store_(store),
      clock_(std::move(clock)),
      groupEvery_(groupEvery),
      log_(std::move(log)),
      laneName_(std::move(laneName)),
      pause_(std::move(pause)) {}

bool Checkpointer::commit(std::vector<std::unique_ptr<Member>>& members, bool force) {
  const auto dirty = static_cast<std::size_t>(
      std::count_if(members.begin(), members.end(), [](const auto& m) { return m->dirty; }));
  if (dirty == 0) {
    return true;
  }
  // Only grouped commits read the clock (a forced one comes with each event that ran a callback): the
  // interval counts from the last grouped commit, and a forced one in between only commits sooner.
  std::optional<std::chrono::steady_clock::time_point> groupedAt;
  if (!force) {
    groupedAt = clock_->steadyNow();
    if (*groupedAt - lastCommit_ < groupEvery_) {
      return true;
    }
  }
  // Filled in place: an event's commit then allocates nothing.
  checkpoints_.resize(dirty);
  std::size_t filled = 0;
  for (auto& m : members) {
    if (m->dirty) {
      m->progress.fillCheckpoint(checkpoints_[filled++], m->id.collection, m->id.name);
    }
  }
  const auto& checkpoints = checkpoints_;
  bool warned = false;
  for (int attempt = 1;; ++attempt) {
    auto result = store_.commit(checkpoints);
    if (result) {
      break;
    }
    if (!warned) {
      log_->error(fmt::format("Could not commit the state of lane {}: {}; retrying.", laneName_,
                              result.error().message));
      warned = true;
    }
    if (!pause_(std::chrono::milliseconds(std::min(100 * attempt, 5000)))) {
      return false;
    }
  }
  if (warned) {
    log_->info(fmt::format("State of lane {} committed again.", laneName_));
  }
  for (auto& m : members) {
    m->dirty = false;
  }
  if (groupedAt) {
    lastCommit_ = *groupedAt;
  }
  return true;
}

Expected<void> Checkpointer::setCursor(Member& m, std::int64_t cursor) {
  SGEVENTD_TRY(store_.setCursor(m.id.collection, m.id.name, cursor));
  m.progress = Progress(cursor, {});
  m.dirty = false;
  m.retry.reset();
  m.resume = {};
  return {};
}

}  // namespace sgeventd::engine
