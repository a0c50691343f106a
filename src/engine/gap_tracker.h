#pragma once
// The ids the event log skipped that may still commit (protocol doc §3.4), shared by the fetcher
// (which re-checks them) and the lanes (which backlog them). Thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "engine/range_set.h"

namespace sgeventd::engine {

// The one WARNING that declares a range expired: "Timeout elapsed on backlog event id 31." or "... ids
// 31-33 (3 ids never committed)."
std::string expiredLine(const GapRange& range);

class GapTracker {
 public:
  // `log` (may be null) gets the WARNING for a gap already past its deadline when first seen.
  explicit GapTracker(std::chrono::seconds timeout, core::LoggerPtr log = nullptr)
      : timeout_(timeout), log_(std::move(log)) {}

  // Ids [first, last] were skipped just before an event created at `nextCreatedAt`. Ids not known yet
  // are opened until nextCreatedAt + timeout (now + timeout when the event has no created_at), unless
  // that deadline already passed: a gap that old never fills (the original's PR #37 rule), so it is
  // settled at once, and named once in a `Timeout elapsed` WARNING: it may be a gap this daemon watched
  // before a restart that never reached a checkpoint, and every id is either delivered or declared
  // expired. Returns the open ranges inside [first, last] after the call, with their expiry.
  std::vector<GapRange> observe(std::int64_t first, std::int64_t last, std::optional<TimePoint> nextCreatedAt,
                                TimePoint now);

  // Re-opens ranges remembered from a previous run (their expiry kept).
  void restore(const std::vector<GapRange>& ranges);
  // The id appeared in the log: it is no longer a gap.
  void filled(std::int64_t id);
  // Removes and returns the ranges whose expiry passed.
  std::vector<GapRange> expire(TimePoint now);

  std::vector<GapRange> open() const;
  // The open parts of [first, last].
  std::vector<GapRange> openWithin(std::int64_t first, std::int64_t last) const;
  bool isOpen(std::int64_t id) const;
  std::size_t openIdCount() const;
  std::chrono::seconds timeout() const { return timeout_; }

 private:
  std::chrono::seconds timeout_;
  core::LoggerPtr log_;
  mutable std::mutex mutex_;
  RangeSet open_;
  RangeSet settled_;  // ids declared expired at first sight, so a second observer does not repeat it
};

}  // namespace sgeventd::engine
