// The fetcher and a lane tested alone: a scripted site (FakeEventReader), a manual clock, and the loop
// stepped by hand, so retries, deadlines and control requests are checked without a single sleep.
#include <gtest/gtest.h>

#include <limits>

#include "core/memory_log.h"
#include "core/metrics_registry.h"
#include "engine/fetcher.h"
#include "engine/lane.h"
#include "fakes.h"

using namespace sgeventd;
using namespace sgeventd::engine;
using namespace std::chrono_literals;
using sgeventd::testing::FakeEventReader;
using sgeventd::testing::FakeStateStore;
using sgeventd::testing::ManualClock;
using sgeventd::testing::RecordingPlugin;

namespace {

class SteppedTest : public ::testing::Test {
 protected:
  SteppedTest() { window.reset(10); }

  core::EventPtr event(std::int64_t id, std::chrono::seconds age = 0s) {
    auto e = sgeventd::testing::makeEvent(id, "Shotgun_Shot_Change", std::string("code"), clock->now() - age);
    return e;
  }
  void onSite(std::int64_t id, std::chrono::seconds age = 0s) {
    std::lock_guard lock(site->mutex);
    site->events[id] = *event(id, age);
  }
  std::unique_ptr<Lane> lane() {
    return std::make_unique<Lane>(
        "a", LaneOptions{500, 20ms, 0ms},
        LaneContext{window,
                    gaps,
                    store,
                    logs,
                    clock,
                    shutdown,
                    [this]() -> shotgrid::EventReaderPtr { return std::make_unique<FakeEventReader>(site); },
                    {},
                    board,
                    metrics});
  }
  std::shared_ptr<RecordingPlugin> plugin(std::vector<std::string> callbacks, bool stopOnError = true) {
    std::vector<plugins::CallbackInfo> infos;
    for (auto& c : callbacks) {
      infos.push_back({c, core::MatchSpec::all(), stopOnError});
    }
    return std::make_shared<RecordingPlugin>("a", infos, journal, journalMutex);
  }
  FailurePolicy policy(int attempts, RetryOn retryOn = RetryOn::Transient) {
    FailurePolicy p;
    p.attempts = attempts;
    p.backoff = {1000ms, 1000ms};  // half-jitter: each retry waits 500-1000 ms of manual time
    p.retryOn = retryOn;
    return p;
  }
  std::vector<std::string> entries() {
    std::lock_guard lock(*journalMutex);
    return *journal;
  }
  MemberStatus status() { return board.members().at(0); }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<FakeEventReader::Log> site = std::make_shared<FakeEventReader::Log>();
  EventWindow window{1000};
  GapTracker gaps{300s};
  FakeStateStore store;
  StatusBoard board;
  std::shared_ptr<core::MetricsRegistry> metrics = std::make_shared<core::MetricsRegistry>();
  std::shared_ptr<core::MemoryLogFactory> logs = std::make_shared<core::MemoryLogFactory>();
  core::Shutdown shutdown;
  std::shared_ptr<std::vector<std::string>> journal = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::mutex> journalMutex = std::make_shared<std::mutex>();
};

plugins::InvokeResult retry(std::string m) {
  return plugins::InvokeResult::failure(plugins::InvokeStatus::Retry, m);
}

}  // namespace

TEST_F(SteppedTest, FetcherOpensGapsAtTheLogsDeadlineAndDeliversALateIdOnce) {
  onSite(11);
  onSite(13);
  Fetcher fetcher({}, std::make_unique<FakeEventReader>(site), window, gaps, logs->get("engine"), clock,
                  shutdown, metrics);
  fetcher.stepOnce();
  EXPECT_EQ(window.head(), 13);
  ASSERT_TRUE(gaps.isOpen(12));
  EXPECT_EQ(gaps.open().at(0).expires, site->events[13].createdAt.value() + 300s);
  EXPECT_EQ(metrics->value("sgeventd_events_fetched_total"), 2);
  onSite(12);  // commits late
  fetcher.recheckGapsOnce();
  EXPECT_FALSE(gaps.isOpen(12));
  ASSERT_EQ(window.lateIn(12, 12).size(), 1u);
  EXPECT_EQ(logs->sink().count("Event 12 committed late."), 1u);
  EXPECT_EQ(logs->sink().count("delivering"), 0u);  // the lanes say what they deliver
}

TEST_F(SteppedTest, FetcherExpiresAGapOnTheManualClockWithOneWarning) {
  onSite(11);
  onSite(14);
  Fetcher fetcher({}, std::make_unique<FakeEventReader>(site), window, gaps, logs->get("engine"), clock,
                  shutdown, metrics);
  fetcher.pollHeadOnce();
  fetcher.expireGapsOnce();
  EXPECT_EQ(gaps.openIdCount(), 2u);
  clock->advance(301s);
  fetcher.expireGapsOnce();
  fetcher.expireGapsOnce();
  EXPECT_EQ(gaps.openIdCount(), 0u);
  EXPECT_EQ(logs->sink().count("Timeout elapsed on backlog event ids 12-13"), 1u);
}

TEST_F(SteppedTest, ATransientFailureIsRetriedOnlyWhenTheClockSaysSo) {
  auto l = lane();
  auto a = plugin({"cb"});
  int calls = 0;
  a->setBehaviour(
      [&](const core::Event&) { return ++calls == 1 ? retry("site down") : plugins::InvokeResult{}; });
  l->addMember(a->id(), a, "", Progress(10, {}), policy(3), 0);
  window.append({event(11), event(12)}, 12);
  auto step = l->step();
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(step.wakeAt);
  EXPECT_EQ(status().state, MemberState::Retrying);
  l->step();
  l->step();
  EXPECT_EQ(calls, 1);  // not due yet: nothing runs, not even event 12
  EXPECT_EQ(entries(), std::vector<std::string>{"a.cb:11"});
  clock->advance(1s);
  l->step();
  EXPECT_EQ(entries(), (std::vector<std::string>{"a.cb:11", "a.cb:11", "a.cb:12"}));
  EXPECT_EQ(store.checkpoint("/plugins::a").cursor, 12);
  EXPECT_EQ(metrics->value("sgeventd_plugin_callback_retries_total", {{"plugin", "a"}}), 1);
}

TEST_F(SteppedTest, AnOrdinaryErrorRunsOnceAndRetryOnDecides) {
  for (auto [retryOn, expectedCalls] :
       {std::pair{RetryOn::Transient, 1}, std::pair{RetryOn::Any, 3}, std::pair{RetryOn::Never, 1}}) {
    journal->clear();
    window.reset(10);
    auto l = lane();
    auto a = plugin({"cb"}, false);
    a->setBehaviour([](const core::Event&) { return plugins::InvokeResult::error("ValueError: bad data"); });
    l->addMember(a->id(), a, "", Progress(10, {}), policy(3, retryOn), 0);
    window.append({event(11)}, 11);
    for (int i = 0; i < 5; ++i) {
      l->step();
      clock->advance(2s);
    }
    EXPECT_EQ(static_cast<int>(entries().size()), expectedCalls) << static_cast<int>(retryOn);
    EXPECT_EQ(store.checkpoint("/plugins::a").cursor, 11);  // stopOnError off: skipped, moved on
  }
  // A transient failure under retry_on = never gets the original's behaviour at once too.
  journal->clear();
  window.reset(10);
  auto l = lane();
  auto a = plugin({"cb"}, false);
  a->setBehaviour([](const core::Event&) { return retry("timeout"); });
  l->addMember(a->id(), a, "", Progress(10, {}), policy(3, RetryOn::Never), 0);
  window.append({event(11)}, 11);
  l->step();
  EXPECT_EQ(entries().size(), 1u);
}

TEST_F(SteppedTest, ATransientFailureGivenUpOnIsLoggedAtCriticalOnce) {
  auto l = lane();
  auto a = plugin({"cb"}, false);
  a->setBehaviour([](const core::Event&) { return retry("HTTP 503: busy"); });
  l->addMember(a->id(), a, "", Progress(10, {}), policy(2), 0);
  window.append({event(11)}, 11);
  l->step();
  EXPECT_EQ(logs->sink().count("An error occured processing an event."), 0u);  // retried: no alarm yet
  clock->advance(2s);
  l->step();
  EXPECT_EQ(entries().size(), 2u);
  EXPECT_EQ(logs->sink().count("An error occured processing an event.\n\nHTTP 503: busy"), 1u);
  EXPECT_EQ(store.checkpoint("/plugins::a").cursor, 11);
}

TEST_F(SteppedTest, AReloadResumesAtTheCallbackThatFailed) {
  auto l = lane();
  auto a = plugin({"first", "second"});
  a->setBehaviour([&](const core::Event&) {
    return entries().back() == "a.second:11" ? plugins::InvokeResult::error("broken")
                                             : plugins::InvokeResult{};
  });
  l->addMember(a->id(), a, "", Progress(10, {}), policy(1), 0);
  window.append({event(11)}, 11);
  l->step();
  EXPECT_EQ(status().state, MemberState::Deactivated);
  auto fixed = plugin({"first", "second"});
  l->replacePlugin(a->id().key(), fixed, "");
  l->step();
  EXPECT_EQ(entries(), (std::vector<std::string>{"a.first:11", "a.second:11", "a.second:11"}));
  EXPECT_EQ(status().state, MemberState::Active);
  EXPECT_EQ(store.checkpoint("/plugins::a").cursor, 11);
}

TEST_F(SteppedTest, ADeactivationOutlivesARestartAndResumesAtTheFailedCallback) {
  auto l = lane();
  auto a = plugin({"first", "second"});
  store::PluginStatus persisted{
      "/plugins", "a", store::PluginState::Inactive, "callback second failed", {}, 11, "second"};
  l->addMember(a->id(), a, "", Progress(10, {}), policy(1), 0, persisted);
  window.append({event(11)}, 11);
  l->step();
  EXPECT_TRUE(entries().empty());
  EXPECT_EQ(status().state, MemberState::Deactivated);
  l->enable(a->id().key());
  l->step();
  EXPECT_EQ(entries(), std::vector<std::string>{"a.second:11"});
  EXPECT_EQ(store.status("/plugins::a")->state, store::PluginState::Active);
}

TEST_F(SteppedTest, OperatorRequestsApplyBetweenEventsAndPersist) {
  auto l = lane();
  auto a = plugin({"cb"});
  l->addMember(a->id(), a, "", Progress(10, {}), policy(1), 0);
  window.append({event(11), event(12)}, 12);
  l->step();
  EXPECT_EQ(entries().size(), 2u);
  l->disable(a->id().key());
  l->step();
  EXPECT_EQ(store.status("/plugins::a")->state, store::PluginState::Disabled);
  window.append({event(13)}, 13);
  l->step();
  EXPECT_EQ(entries().size(), 2u);
  EXPECT_FALSE(status().active);
  // A reload does not undo an operator's disable.
  l->replacePlugin(a->id().key(), plugin({"cb"}), "");
  l->step();
  EXPECT_EQ(entries().size(), 2u);
  l->enable(a->id().key());
  l->step();
  EXPECT_EQ(entries().back(), "a.cb:13");
  // Rewind: written at once, and what the lane had in memory never overwrites it.
  l->setCursor(a->id().key(), 11);
  l->step();
  EXPECT_EQ(store.cursorSets(), 1);
  EXPECT_EQ(entries().back(), "a.cb:13");
  const auto seen = entries();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "a.cb:12"), 2);
  EXPECT_FALSE(store.wentBackwards());
  l->replay(a->id().key(), "cb", event(11));
  l->step();
  EXPECT_EQ(entries().back(), "a.cb:11");
}

TEST_F(SteppedTest, ABacklogIdTheFetcherNoLongerWatchesIsReadFromTheSiteOrDropped) {
  // After a restart the lane's stored backlog holds 12 and 13; the fetcher has already settled both (12
  // committed while the daemon was down, 13 expired): 12 is read from the site, 13 leaves the backlog.
  onSite(12);
  auto l = lane();
  auto a = plugin({"cb"});
  const auto deadline = clock->now() + 100s;
  l->addMember(a->id(), a, "", Progress(15, {{12, 13, deadline}}), policy(1), 0);
  l->step();
  EXPECT_EQ(entries(), std::vector<std::string>{"a.cb:12"});
  EXPECT_TRUE(store.checkpoint("/plugins::a").gaps.empty());
  EXPECT_EQ(store.checkpoint("/plugins::a").cursor, 15);
}

TEST_F(SteppedTest, AnOpenBacklogIdWaitsForTheFetcher) {
  auto l = lane();
  auto a = plugin({"cb"});
  const auto deadline = clock->now() + 100s;
  gaps.restore({{12, 12, deadline}});
  l->addMember(a->id(), a, "", Progress(15, {{12, 12, deadline}}), policy(1), 0);
  l->step();
  EXPECT_TRUE(entries().empty());
  EXPECT_EQ(site->reads, 0);  // still watched by the fetcher: the lane does not ask the site itself
  window.addLate(event(12), clock->steadyNow());
  gaps.filled(12);
  l->step();
  EXPECT_EQ(entries(), std::vector<std::string>{"a.cb:12"});
  EXPECT_EQ(logs->sink().count("Processed id 12 from backlog."), 1u);
}

TEST_F(SteppedTest, ASiteThatIsDownIsAskedForBacklogIdsAgainOnlyAfterAPause) {
  site->down = true;
  auto l = lane();
  auto a = plugin({"cb"});
  l->addMember(a->id(), a, "", Progress(15, {{12, 12, clock->now() + 100s}}), policy(1), 0);
  l->step();
  l->step();
  EXPECT_EQ(site->reads, 1);
  clock->advance(6s);
  site->down = false;
  onSite(12);
  l->step();
  EXPECT_EQ(site->reads, 2);
  EXPECT_EQ(entries(), std::vector<std::string>{"a.cb:12"});
}

TEST_F(SteppedTest, AReplyThatIgnoresTheIdFilterIsLoggedOnceAndNotApplied) {
  onSite(11);
  onSite(12);
  Fetcher fetcher({}, std::make_unique<FakeEventReader>(site), window, gaps, logs->get("engine"), clock,
                  shutdown, metrics);
  fetcher.pollHeadOnce();
  ASSERT_EQ(window.head(), 12);
  site->ignoresTheIdFilter = true;  // from now on every page starts again at id 11
  onSite(13);
  shutdown.request();  // the fetcher's pauses return at once
  fetcher.pollHeadOnce();
  fetcher.pollHeadOnce();
  EXPECT_EQ(window.head(), 12);
  EXPECT_EQ(logs->sink().count("The site's reply to the head query breaks it: event id 11 is not above 12"),
            1u);
  EXPECT_EQ(fetcher.status().consecutiveProtocolErrors, 2);
  site->ignoresTheIdFilter = false;
  fetcher.pollHeadOnce();
  EXPECT_EQ(window.head(), 13);
  EXPECT_EQ(fetcher.status().consecutiveProtocolErrors, 0);
  EXPECT_EQ(logs->sink().count("The site's replies match their queries again, after 2"), 1u);
}

TEST_F(SteppedTest, APoisonedIdNeverReachesTheHeadOrACursor) {
  onSite(11);
  {
    std::lock_guard lock(site->mutex);
    auto e = *event(std::numeric_limits<std::int64_t>::max());
    site->events[e.id] = e;
  }
  Fetcher fetcher({}, std::make_unique<FakeEventReader>(site), window, gaps, logs->get("engine"), clock,
                  shutdown, metrics);
  shutdown.request();
  fetcher.pollHeadOnce();
  EXPECT_EQ(window.head(), 10);
  EXPECT_EQ(gaps.openIdCount(), 0u);
  EXPECT_EQ(logs->sink().count("more than any event log grows"), 1u);
}
