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
  const auto now = clock_->steadyNow();
  if (!force && now - lastCommit_ < groupEvery_) {
    return true;
  }
  std::vector<store::Checkpoint> checkpoints;
  for (auto& m : members) {
    if (m->dirty) {
      checkpoints.push_back(m->progress.checkpoint(m->id.collection, m->id.name));
    }
  }
  if (checkpoints.empty()) {
    return true;
  }
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
  lastCommit_ = now;
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
