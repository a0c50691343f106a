#include "logging/timing_line.h"

#include <gtest/gtest.h>

#include "support.h"

namespace sgeventd::logging {
namespace {

using namespace testing;
using std::chrono::microseconds;

TEST(TimingLine, TimedeltaFormatFollowsPythonNormalisation) {
  EXPECT_EQ(formatTimedelta(microseconds(17)), "00:00:00:00.000017");
  EXPECT_EQ(formatTimedelta(microseconds(0)), "00:00:00:00.000000");
  EXPECT_EQ(formatTimedelta(microseconds(((26LL * 60 + 3) * 60 + 4) * 1'000'000 + 5)), "01:02:03:04.000005");
  EXPECT_EQ(formatTimedelta(microseconds(-500'000)), "-1:23:59:59.500000");
  EXPECT_EQ(formatTimedelta(microseconds(-1)), "-1:23:59:59.999999");
  EXPECT_EQ(formatTimedelta(microseconds(-86'400'000'001LL)), "-2:23:59:59.999999");
}

TEST(TimingLine, IsoformatOfLocalAwareDatetimes) {
  ScopedTimeZone utc("UTC");
  EXPECT_EQ(isoformatLocal(epoch(1795325385.483650)), "2026-11-22T05:29:45.483650+00:00");
  EXPECT_EQ(isoformatLocal(epoch(1795325385)), "2026-11-22T05:29:45+00:00");  // no fraction, as Python
  {
    ScopedTimeZone paris("CET-1CEST,M3.5.0,M10.5.0/3");
    EXPECT_EQ(isoformatLocal(epoch(1795325385.483650)), "2026-11-22T06:29:45.483650+01:00");
    EXPECT_EQ(isoformatLocal(epoch(1780000000.25)), "2026-05-28T22:26:40.250000+02:00");
  }
  ScopedTimeZone india("<-0530>+5:30");
  EXPECT_EQ(isoformatLocal(epoch(1795325385.483650)), "2026-11-21T23:59:45.483650-05:30");
}

TEST(TimingLine, ExactLineAsTheOriginal) {
  ScopedTimeZone utc("UTC");
  const auto created = epoch(1795325385.483650);
  const auto start = epoch(1795325385.491628);
  const auto end = epoch(1795325385.491645);
  EXPECT_EQ(formatTimingLine(103, created, "plugin.rec.cb", start, end, false),
            "event_id=103 created_at=2026-11-22T05:29:45.483650+00:00 callback=rec.cb "
            "start=2026-11-22T05:29:45.491628+00:00 end=2026-11-22T05:29:45.491645+00:00 "
            "duration=00:00:00:00.000017 error=False delay=00:00:00:00.007978");
}

TEST(TimingLine, NegativeDelayAndEveryPluginPrefixRemoved) {
  ScopedTimeZone utc("UTC");
  // The host clock is behind the site's: start is before created_at.
  const auto created = epoch(1795325386);
  const auto start = epoch(1795325385.5);
  const auto end = epoch(1795325387.25);
  EXPECT_EQ(formatTimingLine(7, created, "plugin.plugin.x.cb", start, end, true),
            "event_id=7 created_at=2026-11-22T05:29:46+00:00 callback=x.cb "
            "start=2026-11-22T05:29:45.500000+00:00 end=2026-11-22T05:29:47.250000+00:00 "
            "duration=00:00:00:01.750000 error=True delay=-1:23:59:59.500000");
}

}  // namespace
}  // namespace sgeventd::logging
