#include "engine/event_window.h"

#include <gtest/gtest.h>

#include <thread>

#include "fakes.h"

using namespace sgeventd;
using namespace sgeventd::engine;
using sgeventd::testing::makeEvent;

TEST(EventWindow, SlicesAboveAPositionAndReportsCoverage) {
  EventWindow w(100);
  w.reset(10);
  w.append({makeEvent(11), makeEvent(13), makeEvent(14)}, 14);
  auto s = w.after(10, 2);
  ASSERT_TRUE(s.covered);
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[1]->id, 13);
  EXPECT_FALSE(w.after(5, 10).covered);  // below the floor: the reader must go to the server
  EXPECT_EQ(w.countAbove(11), 2u);
}

TEST(EventWindow, CapacityRaisesTheFloor) {
  EventWindow w(3);
  w.reset(0);
  w.append({makeEvent(1), makeEvent(2), makeEvent(3), makeEvent(4), makeEvent(5)}, 5);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.floor(), 3);
  EXPECT_TRUE(w.after(2, 10).covered);
  EXPECT_FALSE(w.after(1, 10).covered);
}

TEST(EventWindow, LateEventsAreFoundByRangeAndJoinTheCoveredRange) {
  EventWindow w(100);
  w.reset(10);
  w.append({makeEvent(11), makeEvent(14)}, 14);
  const auto now = std::chrono::steady_clock::now();
  w.addLate(makeEvent(12), now);
  auto late = w.lateIn(12, 13);
  ASSERT_EQ(late.size(), 1u);
  auto s = w.after(11, 10);
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0]->id, 12);
  w.pruneLate(now + std::chrono::hours(1), std::chrono::minutes(10));
  EXPECT_TRUE(w.lateIn(0, 100).empty());
}

TEST(EventWindow, WaitersWakeOnChange) {
  // The wait must end because of the change, not its timeout: a waiter nobody notifies would still see a
  // new version after 30 s, so the elapsed time is what tells the two apart.
  EventWindow w(10);
  w.reset(0);
  const auto seen = w.version();
  core::Waker subscribed;
  w.subscribe(subscribed);
  const auto start = std::chrono::steady_clock::now();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    w.append({makeEvent(1)}, 1);
  });
  const auto v = w.waitForChange(seen, std::chrono::seconds(30));
  EXPECT_TRUE(subscribed.waitFor(std::chrono::seconds(30)));  // poked, not timed out
  writer.join();
  w.unsubscribe(subscribed);
  EXPECT_NE(v, seen);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}
