#pragma once
// Disjoint id ranges, each with an expiry: the shape of both the shared gap set and a plugin's backlog.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/state_store.h"

namespace sgeventd::engine {

using TimePoint = std::chrono::system_clock::time_point;
using store::GapRange;

class RangeSet {
 public:
  RangeSet() = default;
  explicit RangeSet(const std::vector<GapRange>& ranges) { addMissing(ranges); }

  // The parts of [first, last] not covered yet, in order.
  std::vector<std::pair<std::int64_t, std::int64_t>> holes(std::int64_t first, std::int64_t last) const;
  // The covered parts of [first, last], clipped to it, in order.
  std::vector<GapRange> covered(std::int64_t first, std::int64_t last) const;

  // Adds only the parts of each range that are not covered yet (existing expiries win).
  void addMissing(const std::vector<GapRange>& ranges);
  void add(std::int64_t first, std::int64_t last, TimePoint expires);
  // Removes one id, splitting its range.
  bool remove(std::int64_t id);
  // Removes every id of [first, last].
  void removeRange(std::int64_t first, std::int64_t last);
  // Removes and returns the ranges that expired at `now`.
  std::vector<GapRange> expire(TimePoint now);

  bool contains(std::int64_t id) const;
  bool empty() const { return spans_.empty(); }
  std::int64_t lowest() const { return spans_.empty() ? 0 : spans_.begin()->first; }
  std::size_t idCount() const;
  std::size_t size() const { return spans_.size(); }  // ranges
  void dropLowest(std::size_t count);
  std::vector<GapRange> ranges() const;

 private:
  struct Span {
    std::int64_t last;
    TimePoint expires;
  };
  std::map<std::int64_t, Span> spans_;  // first -> span; never overlapping
};

// Ranges as a compact human string: "101-103, 107".
std::string describeRanges(const std::vector<GapRange>& ranges);

}  // namespace sgeventd::engine
