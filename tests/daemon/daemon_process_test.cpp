// The sgeventd binary as an operator runs it, against `sgeventd sim` in another process: SIGTERM drain,
// two daemons on one state, and kill -9 at random moments (no event lost, at most one re-run per kill).
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "../support/wait.h"
#include "process.h"
#include "sim_fixture.h"

using namespace std::chrono_literals;
using nlohmann::json;
using sgeventd::testing::countedIds;
using sgeventd::testing::preparePluginDir;
using sgeventd::testing::Process;
using sgeventd::testing::SimProcess;
using sgeventd::testing::slurp;
namespace fs = std::filesystem;

namespace {

using sgeventd::testing::waitUntil;

class DaemonProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sgeventd-process-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    preparePluginDir(dir_);
    ASSERT_NO_FATAL_FAILURE(sim_.start(dir_));
    writeConfig();
  }
  void TearDown() override {
    sim_.stop();
    fs::remove_all(dir_);
  }

  void writeConfig() {
    std::ofstream conf(dir_ / "shotgunEventDaemon.conf");
    conf << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
            "state.sqlite\n"
            "logMode: 1\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 20\ntiming_log: on\n"
            "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.1\nmax_event_batch_size: 50\n"
            "backlog_timeout: 120\nretry_attempts: 1\nshutdown_timeout: 10\n"
            "[shotgun]\nserver: http://127.0.0.1:"
         << sim_.port()
         << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\nrequest_timeout: 5\n"
            "[plugins]\npaths: plugins\n[emails]\nenabled: False\n";
  }
  fs::path config() const { return dir_ / "shotgunEventDaemon.conf"; }
  fs::path countFile() const { return dir_ / "count.txt"; }

  std::unique_ptr<Process> startDaemon(const std::map<std::string, std::string>& extraEnv = {},
                                       const std::string& stderrName = "daemon.stderr") {
    std::map<std::string, std::string> env{{"SGEVENTD_COUNT_FILE", countFile().string()}};
    env.insert(extraEnv.begin(), extraEnv.end());
    return std::make_unique<Process>(
        std::vector<std::string>{SGEVENTD_BINARY, "-c", config().string(), "foreground"}, env,
        (dir_ / stderrName).string());
  }
  bool pluginStarted() {
    return slurp(dir_ / "logs/shotgunEventDaemon").find("Plugin count_events") != std::string::npos;
  }
  json post(const std::string& path, const json& body) { return sim_.post(path, body); }
  std::int64_t appendEvents(int n) { return post("/sim/events", {{"count", n}})["last"].get<std::int64_t>(); }

  fs::path dir_;
  SimProcess sim_;
};

}  // namespace

TEST_F(DaemonProcessTest, SigtermDrainsCommitsAndExitsZero) {
  auto daemon = startDaemon({{"SGEVENTD_COUNT_SLEEP_MS", "20"}});
  ASSERT_TRUE(waitUntil([&] { return pluginStarted(); })) << slurp(dir_ / "daemon.stderr");
  const auto last = appendEvents(200);
  ASSERT_TRUE(waitUntil([&] { return countedIds(countFile()).size() >= 20; }));
  daemon->signal(SIGTERM);
  const auto code = daemon->wait(20s);
  ASSERT_TRUE(code) << "the daemon did not stop within 20 s";
  EXPECT_EQ(*code, 0) << slurp(dir_ / "daemon.stderr");
  const auto done = countedIds(countFile());
  EXPECT_LT(done.size(), static_cast<std::size_t>(last));  // it stopped mid-stream, not after draining all
  // Restarted, it continues exactly after the last committed event: no loss, no repeat.
  auto again = startDaemon();
  ASSERT_TRUE(
      waitUntil([&] { return countedIds(countFile()).size() >= static_cast<std::size_t>(last); }, 60s));
  again->signal(SIGTERM);
  EXPECT_EQ(again->wait(20s).value_or(-1), 0);
  const auto all = countedIds(countFile());
  std::vector<std::int64_t> expected;
  for (std::int64_t i = 1; i <= last; ++i) {
    expected.push_back(i);
  }
  EXPECT_EQ(all, expected);
  EXPECT_NE(slurp(dir_ / "logs/shotgunEventDaemon.timing").find("callback=count_events.countEvent"),
            std::string::npos);
}

TEST_F(DaemonProcessTest, ASecondDaemonOnTheSameStateRefusesToStart) {
  auto first = startDaemon();
  ASSERT_TRUE(waitUntil([&] { return pluginStarted(); })) << slurp(dir_ / "daemon.stderr");
  auto second = startDaemon({}, "second.stderr");
  const auto code = second->wait(20s);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 0);
  EXPECT_NE(slurp(dir_ / "second.stderr").find("in use by another sgeventd"), std::string::npos)
      << slurp(dir_ / "second.stderr");
  first->signal(SIGTERM);
  EXPECT_EQ(first->wait(20s).value_or(-1), 0);
}

TEST_F(DaemonProcessTest, KillNineAtRandomMomentsLosesNothingAndRepeatsAtMostOncePerKill) {
  constexpr int kKills = 20;
  std::mt19937 rng(20261122);
  // The first start fixes where counting begins: after the (empty) log's head.
  {
    auto daemon = startDaemon();
    ASSERT_TRUE(waitUntil([&] { return pluginStarted(); })) << slurp(dir_ / "daemon.stderr");
    daemon->signal(SIGKILL);
    daemon->wait(10s);
  }
  std::int64_t last = 0;
  std::vector<std::int64_t> lateIds;
  for (int kill = 0; kill < kKills; ++kill) {
    // A stream with gaps that commit late and server faults, while the daemon is running.
    auto hidden = post("/sim/hide", {{"next", 2}})["ids"].get<std::vector<std::int64_t>>();
    lateIds.insert(lateIds.end(), hidden.begin(), hidden.end());
    last = appendEvents(60);
    post("/sim/faults", {{"kind", "http_status"}, {"status", 503}, {"count", 2}, {"method", "read"}});
    auto daemon = startDaemon({{"SGEVENTD_COUNT_SLEEP_MS", "3"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 900)(rng)));
    if (kill % 3 == 0) {
      post("/sim/release", {{"ids", std::vector<std::int64_t>(lateIds.begin(), lateIds.end())}});
      lateIds.clear();
    }
    daemon->signal(SIGKILL);
    ASSERT_TRUE(daemon->wait(10s));
  }
  post("/sim/release", json::object());
  post("/sim/faults/clear", json::object());
  auto daemon = startDaemon();
  ASSERT_TRUE(waitUntil(
      [&] {
        const auto ids = countedIds(countFile());
        return std::set<std::int64_t>(ids.begin(), ids.end()).size() == static_cast<std::size_t>(last);
      },
      120s))
      << "seen " << countedIds(countFile()).size() << " of " << last;
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s).value_or(-1), 0);
  const auto ids = countedIds(countFile());
  std::map<std::int64_t, int> times;
  for (auto id : ids) {
    ++times[id];
  }
  int duplicates = 0;
  for (const auto& [id, n] : times) {
    duplicates += n - 1;
  }
  EXPECT_EQ(times.size(), static_cast<std::size_t>(last));  // every event id seen
  EXPECT_EQ(times.begin()->first, 1);
  EXPECT_LE(duplicates, kKills);  // at most the in-flight event of each kill
  RecordProperty("duplicates", duplicates);
}

// With native plugins only, the interpreter waits for the first *.py plugin; one dropped into the folder
// while the daemon runs then starts it (on the daemon's main thread) and runs like any other.
TEST_F(DaemonProcessTest, APythonPluginAddedToANativeOnlyDaemonStartsTheInterpreterAndRuns) {
  const auto pyFile = dir_ / "python.txt";
  auto daemon = startDaemon({{"SGEVENTD_PY_FILE", pyFile.string()}});
  ASSERT_TRUE(waitUntil([&] { return pluginStarted(); })) << slurp(dir_ / "daemon.stderr");
  EXPECT_NE(slurp(dir_ / "logs/shotgunEventDaemon").find("the Python interpreter starts with the first one"),
            std::string::npos);
  {
    std::ofstream py(dir_ / "plugins/late_python.py.tmp");
    py << "import os\n"
          "def registerCallbacks(reg):\n"
          "    reg.registerCallback('sgeventd', 'sim-key', record, None, os.environ['SGEVENTD_PY_FILE'])\n"
          "def record(sg, logger, event, out):\n"
          "    assert event['created_at'].tzinfo is not None\n"
          "    with open(out, 'a') as f:\n"
          "        f.write('%d\\n' % event['id'])\n";
  }
  fs::rename(dir_ / "plugins/late_python.py.tmp", dir_ / "plugins/late_python.py");
  ASSERT_TRUE(waitUntil([&] {
    const auto log = slurp(dir_ / "logs/shotgunEventDaemon");
    return log.find("Plugin late_python") != std::string::npos;
  })) << slurp(dir_ / "logs/shotgunEventDaemon");
  const auto last = appendEvents(20);
  ASSERT_TRUE(waitUntil([&] { return countedIds(pyFile).size() == 20u; }))
      << slurp(dir_ / "logs/shotgunEventDaemon") << slurp(dir_ / "daemon.stderr");
  EXPECT_EQ(countedIds(pyFile).back(), last);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s).value_or(-1), 0);
}

TEST_F(DaemonProcessTest, PythonAndNativePluginsRunSideBySideAndAreListed) {
  {
    // A plugin written for the original daemon, unchanged: positional matchEvents, args, a logger.
    std::ofstream py(dir_ / "plugins/record_ids.py");
    py << "import os\n"
          "def registerCallbacks(reg):\n"
          "    reg.registerCallback('sgeventd', 'sim-key', record, {'*': None}, "
          "{'out': os.environ['SGEVENTD_PY_FILE']})\n"
          "def record(sg, logger, event, args):\n"
          "    logger.info('python saw %d', event['id'])\n"
          "    assert event['created_at'].tzinfo is not None\n"
          "    with open(args['out'], 'a') as f:\n"
          "        f.write('%d\\n' % event['id'])\n";
  }
  const auto pyFile = dir_ / "python.txt";
  auto daemon = startDaemon({{"SGEVENTD_PY_FILE", pyFile.string()}});
  ASSERT_TRUE(waitUntil([&] {
    return pluginStarted() &&
           slurp(dir_ / "logs/shotgunEventDaemon").find("Plugin record_ids") != std::string::npos;
  })) << slurp(dir_ / "daemon.stderr");
  const auto last = appendEvents(30);
  ASSERT_TRUE(waitUntil([&] {
    return countedIds(countFile()).size() == static_cast<std::size_t>(last) &&
           countedIds(pyFile).size() == static_cast<std::size_t>(last);
  })) << slurp(dir_ / "daemon.stderr");
  EXPECT_NE(slurp(dir_ / "logs/plugin.record_ids").find("python saw 1"), std::string::npos);

  std::string listing;
  ASSERT_EQ(sgeventd::testing::runCommand({SGEVENTD_BINARY, "-c", config().string(), "plugins"}, listing), 0);
  EXPECT_NE(listing.find("count_events"), std::string::npos) << listing;
  EXPECT_NE(listing.find("record_ids"), std::string::npos) << listing;
  EXPECT_NE(listing.find("python"), std::string::npos) << listing;
  EXPECT_NE(listing.find("active"), std::string::npos) << listing;
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s).value_or(-1), 0);
}
