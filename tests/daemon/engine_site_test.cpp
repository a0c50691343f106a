// The engine against the simulated site over real HTTP: first start, catch-up, gaps that commit late or
// never, failures, isolation, reloads and server faults.
#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "../engine/fakes.h"
#include "../support/wait.h"
#include "core/memory_log.h"
#include "engine/engine.h"
#include "shotgrid/client.h"
#include "sim/server.h"
#include "sim/site.h"

using namespace sgeventd;
using namespace std::chrono_literals;
using sgeventd::testing::RecordingPlugin;

namespace {

using sgeventd::testing::waitUntil;

class FixedPluginSource final : public engine::PluginSource {
 public:
  std::vector<engine::PluginSlot> refresh(bool force) override {
    std::lock_guard lock(mutex_);
    if (force) {
      for (auto& s : slots_) {
        s.generation = next_++;
      }
    }
    return slots_;
  }
  void add(plugins::PluginPtr plugin) {
    std::lock_guard lock(mutex_);
    slots_.push_back({plugin->id(), plugin, "", "", next_++});
  }
  // A file whose every load fails: a slot with no plugin, the same generation until it changes.
  void addBroken(const std::string& name, const std::string& error) {
    std::lock_guard lock(mutex_);
    plugins::PluginId id{"/plugins", name, "/plugins/" + name + ".py"};
    slots_.push_back({id, nullptr, error, "", next_++});
  }
  void replace(const std::string& name, plugins::PluginPtr plugin) {
    std::lock_guard lock(mutex_);
    for (auto& s : slots_) {
      if (s.id.name == name) {
        s.plugin = std::move(plugin);
        s.generation = next_++;
      }
    }
  }

 private:
  std::mutex mutex_;
  std::vector<engine::PluginSlot> slots_;
  std::uint64_t next_ = 1;
};

class EngineSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sgeventd-engine-site-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    site_ = std::move(*sim::Site::open());
    server_ = std::make_unique<sim::Server>(*site_);
    ASSERT_TRUE(server_->start());
    auto store = store::StateStore::open((dir_ / "state.sqlite").string(), store::OpenMode::Daemon);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }
  void TearDown() override {
    if (engine_) {
      shutdown_.request();
      engine_->stop();
      engine_.reset();
    }
    store_.reset();
    server_.reset();
    site_.reset();
    std::filesystem::remove_all(dir_);
  }

  shotgrid::EventReaderPtr reader() { return client(); }
  std::unique_ptr<shotgrid::Client> client() {
    shotgrid::ClientOptions o;
    o.server = "http://127.0.0.1:" + std::to_string(server_->port());
    o.auth = {"sgeventd", "sim-key", {}, {}};
    o.retry.maxAttempts = 4;
    o.retry.backoff = {5ms, 50ms};
    o.totalTimeout = 5s;
    return std::make_unique<shotgrid::Client>(o);
  }

  engine::EngineOptions options() {
    engine::EngineOptions o;
    o.fetcher.fetchInterval = 50ms;
    o.fetcher.batchSize = 100;
    o.fetcher.failureBackoff = {5ms, 50ms};
    o.fetcher.lead = 1000;
    o.lane.batchSize = 100;
    o.lane.idleWait = 20ms;
    o.lane.groupCommitEvery = 0ms;
    o.backlogTimeout = 30s;
    o.policy.attempts = 1;
    o.policy.backoff = {1ms, 2ms};
    o.windowCapacity = 1500;
    return o;
  }

  void startEngine(engine::EngineOptions o) {
    engine_ = std::make_unique<engine::Engine>(
        o, engine::EngineDeps{
               *store_, logs_, core::systemClock(), shutdown_, [this] { return client(); }, source_, {}});
    auto started = engine_->start();
    ASSERT_TRUE(started) << started.error().message;
  }

  std::shared_ptr<RecordingPlugin> addPlugin(const std::string& name) {
    auto p = std::make_shared<RecordingPlugin>(
        name, std::vector<plugins::CallbackInfo>{{"cb", core::MatchSpec::all(), true}}, journal_,
        journalMutex_);
    source_.add(p);
    return p;
  }

  // Ids the plugin processed, in order.
  std::vector<std::int64_t> seen(const std::string& name) {
    std::lock_guard lock(*journalMutex_);
    std::vector<std::int64_t> out;
    const std::string prefix = name + ".cb:";
    for (const auto& e : *journal_) {
      if (e.rfind(prefix, 0) == 0) {
        out.push_back(std::stoll(e.substr(prefix.size())));
      }
    }
    return out;
  }
  static std::vector<std::int64_t> range(std::int64_t first, std::int64_t last) {
    std::vector<std::int64_t> out;
    for (auto i = first; i <= last; ++i) {
      out.push_back(i);
    }
    return out;
  }
  static bool unique(const std::vector<std::int64_t>& ids) {
    return std::set<std::int64_t>(ids.begin(), ids.end()).size() == ids.size();
  }

  std::filesystem::path dir_;
  std::unique_ptr<sim::Site> site_;
  std::unique_ptr<sim::Server> server_;
  store::StateStorePtr store_;
  std::shared_ptr<core::MemoryLogFactory> logs_ = std::make_shared<core::MemoryLogFactory>();
  core::Shutdown shutdown_;
  FixedPluginSource source_;
  std::unique_ptr<engine::Engine> engine_;
  std::shared_ptr<std::vector<std::string>> journal_ = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::mutex> journalMutex_ = std::make_shared<std::mutex>();
};

}  // namespace

TEST_F(EngineSiteTest, FirstStartBeginsAfterTheNewestEvent) {
  site_->appendSyntheticEvents(50);
  addPlugin("a");
  startEngine(options());
  EXPECT_EQ(engine_->head(), 50);
  const auto fresh = site_->appendSyntheticEvents(10);
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 10; }));
  EXPECT_EQ(seen("a"), range(fresh.first, fresh.last));
}

TEST_F(EngineSiteTest, AnEmptyEventLogIsFine) {
  addPlugin("a");
  startEngine(options());
  EXPECT_EQ(engine_->head(), 0);
  site_->appendSyntheticEvents(5);
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 5; }));
  EXPECT_EQ(seen("a"), range(1, 5));
}

TEST_F(EngineSiteTest, CatchesUpABacklogInOrderExactlyOnce) {
  ASSERT_TRUE(store_->commit({{"/plugins", "a", 0, {}}}));
  ASSERT_TRUE(store_->setHead(1));
  site_->appendSyntheticEvents(3000);
  addPlugin("a");
  startEngine(options());
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() >= 3000; }, 60s));
  EXPECT_EQ(seen("a"), range(1, 3000));
  ASSERT_TRUE(waitUntil([&] { return store_->loadCheckpoint("/plugins", "a")->value().cursor == 3000; }));
}

TEST_F(EngineSiteTest, LateCommitsAreDeliveredOnceWithoutRefetchingWhatFollows) {
  addPlugin("a");
  addPlugin("b");
  startEngine(options());
  site_->appendSyntheticEvents(5);  // 1-5
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 5 && seen("b").size() == 5; }));
  const auto late = site_->hideNext(3);   // 6-8 are written but commit late
  site_->appendSyntheticEvents(3 + 400);  // 6-408, of which 6-8 are invisible
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 5 + 400 && seen("b").size() == 5 + 400; }));
  // While 6-8 are open, each re-check costs a query for those ids only, never the 400 events after them.
  site_->resetCounters();
  std::this_thread::sleep_for(500ms);
  const auto whileOpen = site_->counters();
  EXPECT_GT(whileOpen.callsOf("read"), 2);
  EXPECT_EQ(whileOpen.rowsOf("read"), 0);
  site_->release(late.ids());
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 408 && seen("b").size() == 408; }));
  for (const auto* name : {"a", "b"}) {
    auto ids = seen(name);
    EXPECT_TRUE(unique(ids)) << name;
    EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), 408u);
    EXPECT_EQ(std::vector<std::int64_t>(ids.end() - 3, ids.end()), late.ids()) << name;
  }
  EXPECT_LE(site_->counters().rowsOf("read"), 3 + 2 * 0);  // the late ids alone
  ASSERT_TRUE(waitUntil([&] { return store_->loadCheckpoint("/plugins", "a")->value().gaps.empty(); }));
  EXPECT_EQ(store_->loadCheckpoint("/plugins", "a")->value().cursor, 408);
}

TEST_F(EngineSiteTest, NeverCommittedIdsExpireOnceAndTheBacklogEmpties) {
  addPlugin("a");
  auto o = options();
  o.backlogTimeout = 1s;
  startEngine(o);
  site_->hideNext(2, sim::HideSpec::never());
  site_->appendSyntheticEvents(12);  // 1-12, 1-2 never commit
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 10; }));
  ASSERT_TRUE(
      waitUntil([&] { return logs_->sink().count("Timeout elapsed on backlog event ids 1-2") == 1; }));
  ASSERT_TRUE(waitUntil([&] { return store_->loadCheckpoint("/plugins", "a")->value().gaps.empty(); }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(logs_->sink().count("Timeout elapsed"), 1u);  // once per range, not once per loop
  EXPECT_EQ(seen("a"), range(3, 12));
}

TEST_F(EngineSiteTest, AFailingPluginIsDeactivatedWhileOthersContinue) {
  auto bad = addPlugin("bad");
  addPlugin("good");
  bad->setBehaviour([](const core::Event& e) -> plugins::InvokeResult {
    return e.id == 3 ? plugins::InvokeResult::error("Traceback: boom") : plugins::InvokeResult{};
  });
  auto o = options();
  o.policy.attempts = 2;
  startEngine(o);
  site_->appendSyntheticEvents(10);
  ASSERT_TRUE(waitUntil([&] { return seen("good").size() == 10; }));
  // The bad lane runs event 3, records the failure, then its status: it may end after the good lane.
  EXPECT_TRUE(waitUntil([&] {
    auto statuses = store_->pluginStatuses();
    return statuses && std::any_of(statuses->begin(), statuses->end(), [](const auto& s) {
             return s.plugin == "bad" && s.state == store::PluginState::Inactive;
           });
  })) << "the bad plugin is inactive";
  // An ordinary failure is not retried (retry_on = transient): event 3 ran once, as with the original.
  EXPECT_EQ(seen("bad"), (std::vector<std::int64_t>{1, 2, 3}));
  auto failures = store_->failures(std::string("bad"), 10);
  ASSERT_TRUE(failures);
  ASSERT_EQ(failures->size(), 1u);
  EXPECT_EQ(failures->front().eventId, 3);
  EXPECT_TRUE(failures->front().final);  // newest first
  // A new version of the file (here: the same object re-registered) resumes at the failed event.
  bad->setBehaviour({});
  source_.replace("bad", bad);
  engine_->refreshPlugins(false);
  ASSERT_TRUE(waitUntil([&] { return seen("bad").size() == 3 + 8; }));
  EXPECT_EQ(seen("bad").back(), 10);
}

TEST_F(EngineSiteTest, ASlowPluginDoesNotDelayTheOthers) {
  auto slow = addPlugin("slow");
  addPlugin("fast");
  std::atomic<bool> release{false};
  std::atomic<bool> inside{false};
  slow->setBehaviour([&](const core::Event&) -> plugins::InvokeResult {
    inside = true;
    while (!release) {
      std::this_thread::sleep_for(1ms);
    }
    inside = false;
    return {};
  });
  startEngine(options());
  site_->appendSyntheticEvents(2000);
  ASSERT_TRUE(waitUntil([&] { return seen("fast").size() == 2000; }, 60s));
  // The slow plugin is provably stuck inside its first callback while the fast one finished everything.
  EXPECT_TRUE(waitUntil([&] { return inside.load(); }));
  EXPECT_EQ(seen("slow"), std::vector<std::int64_t>{1});
  release = true;
  ASSERT_TRUE(waitUntil([&] { return seen("slow").size() == 2000; }, 60s));
  EXPECT_EQ(seen("slow"), range(1, 2000));  // it fell below the window and read its own range, in order
}

TEST_F(EngineSiteTest, ServerFaultsAreSurvivedWithoutLossOrDuplicates) {
  addPlugin("a");
  startEngine(options());
  using sim::FaultKind;
  for (auto kind : {FaultKind::HttpStatus, FaultKind::TooManyRequests, FaultKind::TruncatedJson,
                    FaultKind::ConnectionReset, FaultKind::Api3Exception}) {
    sim::FaultSpec f;
    f.kind = kind;
    f.count = 2;
    f.retryAfterSeconds = 0;
    f.httpStatus = 502;
    f.errorCode = 103;
    f.method = "read";
    site_->injectFault(f);
    site_->appendSyntheticEvents(20);
  }
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() >= 100; }, 60s));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(seen("a"), range(1, 100));
}

TEST_F(EngineSiteTest, StrictOrderRunsEveryPluginInOneLaneInTheOriginalsOrder) {
  addPlugin("a");
  addPlugin("b");
  auto o = options();
  o.strictOrder = true;
  startEngine(o);
  site_->appendSyntheticEvents(3);
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 3 && seen("b").size() == 3; }));
  std::lock_guard lock(*journalMutex_);
  EXPECT_EQ(*journal_,
            (std::vector<std::string>{"a.cb:1", "b.cb:1", "a.cb:2", "b.cb:2", "a.cb:3", "b.cb:3"}));
}

TEST_F(EngineSiteTest, RestartResumesAtTheCheckpointAndNewPluginsStartAtTheHead) {
  addPlugin("a");
  startEngine(options());
  site_->appendSyntheticEvents(5);
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 5; }));
  shutdown_.request();
  engine_->stop();
  engine_.reset();
  site_->appendSyntheticEvents(5);  // 6-10 arrive while the daemon is down
  core::Shutdown fresh;
  addPlugin("b");  // new: starts at the head
  engine_ = std::make_unique<engine::Engine>(
      options(), engine::EngineDeps{
                     *store_, logs_, core::systemClock(), fresh, [this] { return client(); }, source_, {}});
  ASSERT_TRUE(engine_->start());
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 10; }));
  site_->appendSyntheticEvents(1);
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 11 && seen("b").size() == 1; }));
  EXPECT_EQ(seen("a"), range(1, 11));
  EXPECT_EQ(seen("b"), std::vector<std::int64_t>{11});
  fresh.request();
  engine_->stop();
  engine_.reset();
}

TEST_F(EngineSiteTest, ALoadErrorIsLoggedOncePerVersionOfTheFileNotOnEveryRescan) {
  addPlugin("a");
  source_.addBroken("broken", "Traceback: SyntaxError");
  startEngine(options());
  for (int i = 0; i < 8; ++i) {
    engine_->refreshPlugins(false);
  }
  EXPECT_EQ(logs_->sink().count("Plugin broken is inactive"), 1u);
  engine_->refreshPlugins(true);  // SIGHUP: a new load attempt, logged again
  EXPECT_EQ(logs_->sink().count("Plugin broken is inactive"), 2u);
}

TEST_F(EngineSiteTest, ControlRequestsAreCheckedAndApplied) {
  addPlugin("a");
  startEngine(options());
  site_->appendSyntheticEvents(5);
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 5; }));
  using Action = engine::ControlRequest::Action;
  auto refused = [&](engine::ControlRequest r, engine::ControlError code) {
    auto result = engine_->control(r);
    EXPECT_FALSE(result);
    if (!result) {
      EXPECT_EQ(result.error().code, static_cast<int>(code)) << result.error().message;
    }
  };
  refused({Action::Disable, "nobody"}, engine::ControlError::NotFound);
  refused({Action::SetCursor, "a", -1}, engine::ControlError::BadRequest);
  refused({Action::SetCursor, "a", 10'000}, engine::ControlError::BadRequest);
  refused({Action::Replay, "a", 0, 12345}, engine::ControlError::NotFound);
  EXPECT_EQ(seen("a").size(), 5u);  // a refused request changed nothing

  ASSERT_TRUE(engine_->control({Action::Disable, "a"}));
  ASSERT_TRUE(waitUntil([&] { return !engine_->status().plugins.at(0).active; }));
  site_->appendSyntheticEvents(2);
  engine_->pollNow();
  ASSERT_TRUE(waitUntil([&] { return engine_->head() == 7; }));
  EXPECT_EQ(seen("a").size(), 5u);
  ASSERT_TRUE(engine_->control({Action::Enable, "/plugins::a"}));  // by key works too
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 7; }));
  ASSERT_TRUE(engine_->control({Action::SetCursor, "a", 3}));  // rewind: 4..7 again
  ASSERT_TRUE(waitUntil([&] { return seen("a").size() == 11; }));
  EXPECT_EQ(seen("a"), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7}));
  auto checkpoint = store_->loadCheckpoint("/plugins", "a");
  ASSERT_TRUE(checkpoint && *checkpoint);
  EXPECT_EQ((*checkpoint)->cursor, 7);
}

TEST_F(EngineSiteTest, ADeactivatedPluginStaysDeactivatedAfterARestartAndAFailureCanBeReplayed) {
  auto bad = addPlugin("bad");
  bad->setBehaviour([](const core::Event& e) -> plugins::InvokeResult {
    return e.id == 2 ? plugins::InvokeResult::error("Traceback: boom") : plugins::InvokeResult{};
  });
  startEngine(options());
  site_->appendSyntheticEvents(4);
  ASSERT_TRUE(waitUntil([&] {
    auto s = engine_->status().plugins;
    return !s.empty() && s[0].state == engine::MemberState::Deactivated;
  }));
  shutdown_.request();
  engine_->stop();
  engine_.reset();
  core::Shutdown fresh;
  engine_ = std::make_unique<engine::Engine>(
      options(), engine::EngineDeps{
                     *store_, logs_, core::systemClock(), fresh, [this] { return reader(); }, source_, {}});
  ASSERT_TRUE(engine_->start());
  site_->appendSyntheticEvents(1);
  ASSERT_TRUE(waitUntil([&] { return engine_->head() == 5; }));
  ASSERT_TRUE(waitUntil([&] { return !engine_->status().plugins.empty(); }));
  EXPECT_EQ(engine_->status().plugins[0].state, engine::MemberState::Deactivated);
  EXPECT_EQ(seen("bad"), (std::vector<std::int64_t>{1, 2}));  // nothing ran after the restart
  // The recorded failure holds its event: a replay runs it through the callback without the site.
  auto failures = store_->failures(std::string("bad"), 1);
  ASSERT_TRUE(failures && !failures->empty());
  ASSERT_TRUE(engine_->control({engine::ControlRequest::Action::Replay, "bad", 0, failures->front().id}));
  ASSERT_TRUE(waitUntil([&] { return seen("bad").size() == 3; }));
  EXPECT_EQ(seen("bad").back(), 2);
  bad->setBehaviour({});
  ASSERT_TRUE(engine_->control({engine::ControlRequest::Action::Enable, "bad"}));
  ASSERT_TRUE(waitUntil([&] { return seen("bad").size() == 7; }));
  EXPECT_EQ(seen("bad"), (std::vector<std::int64_t>{1, 2, 2, 2, 3, 4, 5}));
  fresh.request();
  engine_->stop();
  engine_.reset();
}

// Parallel catch-up reads must not change what a plugin sees: the same ids, in the same order, with the
// same late and never-committed ids, as one read at a time.
TEST_F(EngineSiteTest, ParallelCatchUpDeliversTheSameIdsInTheSameOrderAsOneReadAtATime) {
  std::map<int, std::vector<std::int64_t>> seenWith;
  for (const int concurrency : {1, 4}) {
    if (engine_) {
      shutdown_.request();
      engine_->stop();
      engine_.reset();
    }
    core::Shutdown runShutdown;
    server_.reset();
    site_ = std::move(*sim::Site::open());
    server_ = std::make_unique<sim::Server>(*site_);
    ASSERT_TRUE(server_->start());
    store_.reset();
    auto store = store::StateStore::open(
        (dir_ / ("state-" + std::to_string(concurrency) + ".sqlite")).string(), store::OpenMode::Daemon);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    const std::string name = "c" + std::to_string(concurrency);
    ASSERT_TRUE(store_->commit({{"/plugins", name, 0, {}}}));
    ASSERT_TRUE(store_->setHead(1));

    // 1-400 visible, 401-403 late, 404-1000 visible, 1001-1700 never (longer than any one read's span),
    // 1701-2500 visible, 2501-2502 late, 2503-3400 visible.
    site_->appendSyntheticEvents(400);
    const auto lateFirst = site_->hideNext(3, sim::HideSpec::untilReleased());
    site_->appendSyntheticEvents(600);
    site_->hideNext(700, sim::HideSpec::never());
    site_->appendSyntheticEvents(1500);
    const auto lateSecond = site_->hideNext(2, sim::HideSpec::untilReleased());
    site_->appendSyntheticEvents(900);
    const std::size_t visible = 3400 - 3 - 700 - 2;

    addPlugin(name);
    auto o = options();
    o.fetcher.concurrency = concurrency;
    engine_ = std::make_unique<engine::Engine>(
        o, engine::EngineDeps{
               *store_, logs_, core::systemClock(), runShutdown, [this] { return client(); }, source_, {}});
    ASSERT_TRUE(engine_->start());
    ASSERT_TRUE(waitUntil([&] { return seen(name).size() >= visible; }, 60s)) << seen(name).size();
    // Released only once everything visible ran, so both runs see them at the same point.
    site_->release(site_->hiddenIds());
    ASSERT_TRUE(waitUntil([&] { return seen(name).size() >= visible + 5; }, 60s)) << seen(name).size();
    std::vector<std::int64_t> late{lateFirst.first, lateFirst.first + 1, lateFirst.last, lateSecond.first,
                                   lateSecond.last};
    auto ids = seen(name);
    EXPECT_TRUE(unique(ids));
    EXPECT_EQ(std::vector<std::int64_t>(ids.end() - 5, ids.end()), late);
    seenWith[concurrency] = ids;
    runShutdown.request();
    engine_->stop();
    engine_.reset();
  }
  EXPECT_EQ(seenWith[1], seenWith[4]);
  EXPECT_EQ(seenWith[1].size(), 3400u - 700u);
}
