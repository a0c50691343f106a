#include "engine/status_board.h"

#include <algorithm>

namespace sgeventd::engine {

std::string_view memberStateName(MemberState state) {
  switch (state) {
    case MemberState::Active:
      return "active";
    case MemberState::Retrying:
      return "retrying";
    case MemberState::Deactivated:
      return "deactivated";
    case MemberState::Disabled:
      return "disabled";
    case MemberState::LoadFailed:
      return "load-failed";
  }
  return "active";
}

void StatusBoard::publish(const std::string& lane, std::vector<MemberStatus> members,
                          const LaneActivity* activity) {
  std::lock_guard lock(mutex_);
  lanes_[lane] = Entry{std::move(members), activity};
}

void StatusBoard::remove(const std::string& lane) {
  std::lock_guard lock(mutex_);
  lanes_.erase(lane);
}

std::vector<MemberStatus> StatusBoard::members() const {
  std::lock_guard lock(mutex_);
  std::vector<MemberStatus> out;
  for (const auto& [lane, entry] : lanes_) {
    const auto first = out.size();
    out.insert(out.end(), entry.members.begin(), entry.members.end());
    if (entry.activity == nullptr) {
      continue;
    }
    std::lock_guard activity(entry.activity->mutex);
    const auto since = entry.activity->sinceMicros.load(std::memory_order_acquire);
    const auto member = entry.activity->member.load(std::memory_order_relaxed);
    if (since != 0 && member < entry.members.size()) {
      auto& m = out[first + member];
      m.inCallbackSince = core::TimePoint(std::chrono::microseconds(since));
      m.inCallback = entry.activity->callback;
      m.inCallbackEvent = entry.activity->eventId;
    }
  }
  return out;
}

std::vector<StuckCallback> StatusBoard::stuck(core::TimePoint now) const {
  std::vector<StuckCallback> out;
  const auto nowMicros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::lock_guard lock(mutex_);
  for (const auto& [lane, entry] : lanes_) {
    if (entry.activity == nullptr) {
      continue;
    }
    std::lock_guard activity(entry.activity->mutex);
    const auto since = entry.activity->sinceMicros.load(std::memory_order_acquire);
    const auto member = entry.activity->member.load(std::memory_order_relaxed);
    if (since == 0 || member >= entry.members.size() || !entry.members[member].stuckAfter) {
      continue;
    }
    const std::chrono::milliseconds running((nowMicros - since) / 1000);
    if (running > *entry.members[member].stuckAfter) {
      out.push_back({entry.members[member].id, entry.activity->callback, entry.activity->eventId, running,
                     *entry.members[member].stuckAfter});
    }
  }
  return out;
}

LanePositions StatusBoard::positions() const {
  std::lock_guard lock(mutex_);
  LanePositions out;
  for (const auto& [lane, entry] : lanes_) {
    for (const auto& m : entry.members) {
      if (!m.active) {
        continue;
      }
      out.fastest = out.any ? std::max(out.fastest, m.cursor) : m.cursor;
      out.slowest = out.any ? std::min(out.slowest, m.cursor) : m.cursor;
      out.any = true;
    }
  }
  return out;
}

}  // namespace sgeventd::engine
