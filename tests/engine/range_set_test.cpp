#include "engine/range_set.h"

#include <gtest/gtest.h>

#include "core/memory_log.h"
#include "engine/gap_tracker.h"
#include "engine/progress.h"

using namespace sgeventd::engine;
using namespace std::chrono_literals;

namespace {
const TimePoint kT0 = TimePoint{} + 1000h;
}

TEST(RangeSet, AddsOnlyHolesAndKeepsExistingExpiry) {
  RangeSet s;
  s.add(10, 12, kT0);
  s.add(8, 15, kT0 + 5s);
  auto r = s.ranges();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].first, 8);
  EXPECT_EQ(r[0].last, 9);
  EXPECT_EQ(r[1].expires, kT0);
  EXPECT_EQ(r[2].first, 13);
  EXPECT_EQ(s.idCount(), 8u);
}

TEST(RangeSet, RemoveSplitsAndContains) {
  RangeSet s;
  s.add(100, 104, kT0);
  EXPECT_TRUE(s.remove(102));
  EXPECT_FALSE(s.remove(102));
  EXPECT_TRUE(s.contains(101));
  EXPECT_FALSE(s.contains(102));
  EXPECT_TRUE(s.contains(103));
  EXPECT_EQ(describeRanges(s.ranges()), "100-101, 103-104");
}

TEST(RangeSet, RemoveRangeCutsAcrossSpans) {
  RangeSet s;
  s.add(1, 10, kT0);
  s.add(20, 30, kT0 + 1s);
  s.removeRange(5, 25);
  EXPECT_EQ(describeRanges(s.ranges()), "1-4, 26-30");
  EXPECT_EQ(s.ranges().back().expires, kT0 + 1s);
  s.removeRange(0, 100);
  EXPECT_TRUE(s.empty());
}

TEST(RangeSet, ExpireRemovesDueRangesOnly) {
  RangeSet s;
  s.add(1, 2, kT0);
  s.add(5, 5, kT0 + 10s);
  auto expired = s.expire(kT0);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].last, 2);
  EXPECT_TRUE(s.contains(5));
}

TEST(GapTracker, YoungGapOpensOldGapIsSettled) {
  GapTracker g(300s);
  auto open = g.observe(101, 103, kT0, kT0 + 1s);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].expires, kT0 + 300s);  // from the next event's created_at, not from the observation
  EXPECT_TRUE(g.isOpen(102));
  EXPECT_TRUE(g.observe(201, 210, kT0 - 400s, kT0).empty());
  EXPECT_FALSE(g.isOpen(205));
}

TEST(GapTracker, FillsSplitRangesAndExpiryIsPerObservation) {
  GapTracker g(300s);
  g.observe(101, 103, kT0, kT0);
  g.filled(102);
  EXPECT_EQ(describeRanges(g.open()), "101, 103");
  auto again = g.observe(104, 105, kT0 + 10s, kT0 + 10s);
  EXPECT_EQ(describeRanges(again), "104-105");
  auto expired = g.expire(kT0 + 300s);
  EXPECT_EQ(describeRanges(expired), "101, 103");
  EXPECT_EQ(describeRanges(g.open()), "104-105");
}

TEST(GapTracker, ARestartThatObservesTheGapAgainKeepsItsDeadline) {
  // A daemon killed before its lanes stored the gap sees it again after the restart, later: the deadline
  // must be the one the first run had, or a late event released in between is neither delivered nor expired.
  GapTracker first(300s);
  const auto before = first.observe(500, 500, kT0, kT0 + 1s);
  GapTracker afterRestart(300s);
  const auto again = afterRestart.observe(500, 500, kT0, kT0 + 200s);
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].expires, before[0].expires);
  EXPECT_TRUE(afterRestart.observe(600, 600, kT0, kT0 + 301s).empty());  // past it: settled at once
}

TEST(GapTracker, AGapPastItsDeadlineAtFirstSightIsDeclaredExpiredOnce) {
  // After a restart, a gap this daemon watched but no checkpoint held is met again past its deadline: it
  // is settled, and named in a WARNING once however many lanes meet it, so no id goes unaccounted for.
  auto logs = std::make_shared<sgeventd::core::MemoryLogFactory>();
  GapTracker g(300s, logs->get("engine"));
  EXPECT_TRUE(g.observe(31, 31, kT0, kT0 + 301s).empty());
  EXPECT_TRUE(g.observe(31, 31, kT0, kT0 + 302s).empty());
  EXPECT_EQ(logs->sink().count("Timeout elapsed on backlog event id 31. It was past its deadline"), 1u);
  EXPECT_FALSE(g.isOpen(31));
}

TEST(GapTracker, ADateNearTheEndOfTimeWithALongTimeoutDoesNotWrap) {
  GapTracker g(std::chrono::seconds(std::int64_t{60} * 60 * 24 * 365 * 68));
  const auto late = TimePoint::max() - std::chrono::hours(24);
  auto open = g.observe(5, 5, late, kT0);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].expires, TimePoint::max());
}

TEST(GapTracker, AReaderThatNeverSawAFilledIdReopensIt) {
  // A lane whose own read ran before id 102 committed reports it as a gap again: it must stay
  // watched until that lane gets it, or that lane would lose it.
  GapTracker g(300s);
  g.observe(101, 103, kT0, kT0);
  g.filled(102);
  EXPECT_EQ(describeRanges(g.observe(101, 103, kT0, kT0 + 1s)), "101-103");
  EXPECT_TRUE(g.isOpen(102));
}

TEST(Progress, CursorNeverMovesBackAndLateIdsLeaveTheBacklog) {
  Progress p(106, {{103, 104, kT0}});
  EXPECT_TRUE(p.wants(103));
  EXPECT_TRUE(p.isLate(103));
  EXPECT_FALSE(p.wants(105));
  EXPECT_TRUE(p.wants(107));
  p.markDone(103);
  EXPECT_EQ(p.cursor(), 106);  // the original moved it back to 103 and re-ran 105 and 106 (spec §4.7)
  EXPECT_FALSE(p.wants(103));
  EXPECT_TRUE(p.wants(104));
  p.markDone(110);
  EXPECT_EQ(p.cursor(), 110);
  auto cp = p.checkpoint("/p", "x");
  EXPECT_EQ(cp.cursor, 110);
  ASSERT_EQ(cp.gaps.size(), 1u);
  EXPECT_EQ(cp.gaps[0].first, 104);
}
