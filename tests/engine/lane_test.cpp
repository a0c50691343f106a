#include "engine/lane.h"

#include <gtest/gtest.h>

#include <thread>

#include "../support/wait.h"
#include "core/memory_log.h"
#include "core/metrics_registry.h"
#include "fakes.h"

using namespace sgeventd;
using namespace sgeventd::engine;
using namespace std::chrono_literals;
using sgeventd::testing::FakeStateStore;
using sgeventd::testing::makeEvent;
using sgeventd::testing::RecordingPlugin;

namespace {

using sgeventd::testing::waitUntil;

core::MatchSpec only(const std::string& eventType) {
  core::MatchSpec spec;
  spec.matchAll = false;
  spec.byEventType[eventType] = core::MatchAttrs::any();
  return spec;
}

class LaneTest : public ::testing::Test {
 protected:
  LaneTest() { window.reset(10); }

  LaneContext context() {
    return LaneContext{window, gaps,  store,  logs, core::systemClock(), shutdown, [] { return nullptr; },
                       {},     board, metrics};
  }
  std::shared_ptr<RecordingPlugin> plugin(const std::string& name, std::vector<std::string> callbacks,
                                          core::MatchSpec match = core::MatchSpec::all()) {
    std::vector<plugins::CallbackInfo> infos;
    for (auto& c : callbacks) {
      infos.push_back({c, match, true});
    }
    return std::make_shared<RecordingPlugin>(name, infos, journal, journalMutex);
  }
  std::vector<std::string> entries() {
    std::lock_guard lock(*journalMutex);
    return *journal;
  }
  std::size_t countOf(const std::string& entry) {
    auto e = entries();
    return static_cast<std::size_t>(std::count(e.begin(), e.end(), entry));
  }
  FailurePolicy fastPolicy(int attempts = 1) {
    FailurePolicy p;
    p.attempts = attempts;
    p.backoff = {1ms, 2ms};
    return p;
  }

  EventWindow window{1000};
  StatusBoard board;
  std::shared_ptr<core::MetricsRegistry> metrics = std::make_shared<core::MetricsRegistry>();
  GapTracker gaps{300s};
  FakeStateStore store;
  std::shared_ptr<core::MemoryLogFactory> logs = std::make_shared<core::MemoryLogFactory>();
  core::Shutdown shutdown;
  std::shared_ptr<std::vector<std::string>> journal = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::mutex> journalMutex = std::make_shared<std::mutex>();
  LaneOptions options{500, 20ms, 0ms};
};

}  // namespace

TEST_F(LaneTest, StrictLaneDispatchesInTheOriginalsOrder) {
  Lane lane("strict", options, context());
  auto a = plugin("a", {"cb1", "cb2"});
  auto b = plugin("b", {"cb1"});
  lane.addMember(a->id(), a, "", Progress(10, {}), fastPolicy(), 0);
  lane.addMember(b->id(), b, "", Progress(10, {}), fastPolicy(), 1);
  lane.start();
  window.append({makeEvent(11), makeEvent(12)}, 12);
  ASSERT_TRUE(waitUntil([&] { return entries().size() == 6; }));
  lane.stop();
  EXPECT_EQ(entries(), (std::vector<std::string>{"a.cb1:11", "a.cb2:11", "b.cb1:11", "a.cb1:12", "a.cb2:12",
                                                 "b.cb1:12"}));
  EXPECT_EQ(store.checkpoint("/plugins::a").cursor, 12);
  EXPECT_EQ(store.checkpoint("/plugins::b").cursor, 12);
}

TEST_F(LaneTest, UnmatchedEventsAdvanceTheCursorWithoutCallingBack) {
  Lane lane("a", options, context());
  auto a = plugin("a", {"cb"}, only("Shotgun_Task_Change"));
  lane.addMember(a->id(), a, "", Progress(10, {}), fastPolicy(), 0);
  lane.start();
  window.append({makeEvent(11, "Shotgun_Shot_Change"), makeEvent(12, "Shotgun_Task_Change")}, 12);
  ASSERT_TRUE(waitUntil([&] { return store.checkpoint("/plugins::a").cursor == 12; }));
  lane.stop();
  EXPECT_EQ(entries(), std::vector<std::string>{"a.cb:12"});
}

TEST_F(LaneTest, GapsAreBackloggedAndLateEventsDeliveredOnceWithoutRewinding) {
  Lane lane("a", options, context());
  auto a = plugin("a", {"cb"});
  lane.addMember(a->id(), a, "", Progress(10, {}), fastPolicy(), 0);
  lane.start();
  window.append({makeEvent(11), makeEvent(14), makeEvent(15)}, 15);
  ASSERT_TRUE(waitUntil([&] { return store.checkpoint("/plugins::a").cursor == 15; }));
  EXPECT_EQ(describeRanges(store.checkpoint("/plugins::a").gaps), "12-13");
  gaps.filled(12);
  window.addLate(makeEvent(12), std::chrono::steady_clock::now());
  ASSERT_TRUE(waitUntil([&] { return countOf("a.cb:12") == 1; }));
  ASSERT_TRUE(waitUntil([&] { return describeRanges(store.checkpoint("/plugins::a").gaps) == "13"; }));
  lane.stop();
  EXPECT_EQ(store.checkpoint("/plugins::a").cursor, 15);
  EXPECT_EQ(countOf("a.cb:14"), 1u);  // no re-run of what came after the late event
  EXPECT_EQ(countOf("a.cb:15"), 1u);
  EXPECT_FALSE(store.wentBackwards());
}

TEST_F(LaneTest, FailuresAreRetriedThenSucceed) {
  Lane lane("a", options, context());
  auto a = plugin("a", {"cb"});
  int calls = 0;
  a->setBehaviour([&](const core::Event&) -> plugins::InvokeResult {
    return ++calls < 3 ? plugins::InvokeResult::failure(plugins::InvokeStatus::Retry, "boom")
                       : plugins::InvokeResult{};
  });
  lane.addMember(a->id(), a, "", Progress(10, {}), fastPolicy(3), 0);
  lane.start();
  window.append({makeEvent(11)}, 11);
  ASSERT_TRUE(waitUntil([&] { return store.checkpoint("/plugins::a").cursor == 11; }));
  lane.stop();
  EXPECT_EQ(calls, 3);
  auto failures = store.failureList();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[1].attempts, 2);
  EXPECT_FALSE(failures[1].final);
  EXPECT_EQ(failures[0].error, "boom");
}

TEST_F(LaneTest, StopOnErrorDeactivatesThenReactivatesAtTheFailedCallback) {
  Lane lane("a", options, context());
  std::vector<plugins::CallbackInfo> infos{{"first", core::MatchSpec::all(), true},
                                           {"second", core::MatchSpec::all(), true}};
  auto a = std::make_shared<RecordingPlugin>("a", infos, journal, journalMutex);
  std::atomic<bool> broken{true};
  a->setBehaviour([&](const core::Event& e) -> plugins::InvokeResult {
    auto last = entries().back();
    if (broken && e.id == 12 && last.rfind("a.second", 0) == 0) {
      return plugins::InvokeResult::failure(plugins::InvokeStatus::Retry, "second is broken");
    }
    return {};
  });
  auto policy = fastPolicy(2);
  policy.reactivateAfter = 1s;
  lane.addMember(a->id(), a, "", Progress(10, {}), policy, 0);
  lane.start();
  window.append({makeEvent(11), makeEvent(12), makeEvent(13)}, 13);
  ASSERT_TRUE(waitUntil([&] { return board.members().at(0).active == false; }));
  EXPECT_EQ(store.checkpoint("/plugins::a").cursor, 11);
  EXPECT_EQ(countOf("a.first:13"), 0u);
  EXPECT_NE(board.members()[0].reason.find("second is broken"), std::string::npos);
  broken = false;
  ASSERT_TRUE(waitUntil([&] { return store.checkpoint("/plugins::a").cursor == 13; }));
  lane.stop();
  EXPECT_EQ(countOf("a.first:12"), 1u);   // resumed at the callback that failed
  EXPECT_EQ(countOf("a.second:12"), 3u);  // two failed attempts, then success after reactivation
  auto failures = store.failureList();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_TRUE(failures[1].final);
  EXPECT_EQ(logs->sink().count("Plugin a deactivated"), 1u);
  EXPECT_EQ(logs->sink().count("Reactivating plugin a"), 1u);
}

TEST_F(LaneTest, StopOnErrorFalseRecordsTheFailureAndMovesOn) {
  Lane lane("a", options, context());
  std::vector<plugins::CallbackInfo> infos{{"cb", core::MatchSpec::all(), false}};
  auto a = std::make_shared<RecordingPlugin>("a", infos, journal, journalMutex);
  a->setBehaviour([](const core::Event& e) -> plugins::InvokeResult {
    return e.id == 11 ? plugins::InvokeResult::error("nope") : plugins::InvokeResult{};
  });
  lane.addMember(a->id(), a, "", Progress(10, {}), fastPolicy(2), 0);
  lane.start();
  window.append({makeEvent(11), makeEvent(12)}, 12);
  ASSERT_TRUE(waitUntil([&] { return store.checkpoint("/plugins::a").cursor == 12; }));
  lane.stop();
  EXPECT_TRUE(board.members()[0].active);
  // An ordinary exception is not retried (retry_on = transient): the original called it once.
  EXPECT_EQ(countOf("a.cb:11"), 1u);
  auto failures = store.failureList();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_TRUE(failures.back().final);
  EXPECT_EQ(failures.back().eventId, 11);
}

TEST_F(LaneTest, ASlowLaneDoesNotDelayAnother) {
  Lane slowLane("slow", options, context());
  Lane fastLane("fast", options, context());
  auto slow = plugin("slow", {"cb"});
  std::atomic<bool> release{false};
  std::atomic<bool> inside{false};
  slow->setBehaviour([&](const core::Event&) -> plugins::InvokeResult {
    inside = true;
    while (!release) {
      std::this_thread::sleep_for(1ms);
    }
    return {};
  });
  auto fast = plugin("fast", {"cb"});
  slowLane.addMember(slow->id(), slow, "", Progress(10, {}), fastPolicy(), 0);
  fastLane.addMember(fast->id(), fast, "", Progress(10, {}), fastPolicy(), 0);
  slowLane.start();
  fastLane.start();
  std::vector<core::EventPtr> events;
  for (int id = 11; id <= 60; ++id) {
    events.push_back(makeEvent(id));
  }
  window.append(events, 60);
  EXPECT_TRUE(waitUntil([&] { return store.checkpoint("/plugins::fast").cursor == 60; }));
  // The slow lane is in its callback on event 11, never released, while the fast one reached 60.
  EXPECT_TRUE(waitUntil([&] { return inside.load(); }));
  EXPECT_EQ(countOf("slow.cb:11"), 1u);
  EXPECT_LT(store.checkpoint("/plugins::slow").cursor, 11);
  release = true;
  EXPECT_TRUE(waitUntil([&] { return store.checkpoint("/plugins::slow").cursor == 60; }));
  slowLane.stop();
  fastLane.stop();
}

TEST_F(LaneTest, AStopDuringRetriesLeavesTheEventUndone) {
  Lane lane("a", options, context());
  auto a = plugin("a", {"cb"});
  a->setBehaviour([](const core::Event&) -> plugins::InvokeResult {
    return plugins::InvokeResult::failure(plugins::InvokeStatus::Retry, "down");
  });
  FailurePolicy policy;
  policy.attempts = 100;
  policy.backoff = {std::chrono::milliseconds(60000), std::chrono::milliseconds(60000)};
  lane.addMember(a->id(), a, "", Progress(10, {}), policy, 0);
  lane.start();
  window.append({makeEvent(11)}, 11);
  ASSERT_TRUE(waitUntil([&] { return countOf("a.cb:11") == 1; }));
  const auto before = std::chrono::steady_clock::now();
  lane.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(board.members().at(0).cursor, 10);
  EXPECT_NE(store.checkpoint("/plugins::a").cursor, 11);
}
