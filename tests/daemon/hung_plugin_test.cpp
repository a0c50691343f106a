// A plugin hangs forever in its callback, is then removed from disk, and the daemon keeps delivering to the
// others and stops on SIGTERM within shutdown_timeout (the real binary against `sgeventd sim`).
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

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
using sgeventd::testing::waitUntil;
namespace fs = std::filesystem;

namespace {

constexpr int kShutdownTimeoutS = 3;

bool hasLineWith(const std::string& text, const std::string& a, const std::string& b) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) {
      return true;
    }
  }
  return false;
}

class HungPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sgeventd-hung-" + std::to_string(::getpid()));
    preparePluginDir(dir_);
    std::ofstream(dir_ / "plugins/hang.py") << "import os, time\n"
                                               "def registerCallbacks(reg):\n"
                                               "    reg.registerCallback('sgeventd', 'sim-key', hang, None, "
                                               "{'marker': os.environ['SGEVENTD_HANG_MARKER']})\n"
                                               "def hang(sg, logger, event, args):\n"
                                               "    with open(args['marker'], 'a') as f:\n"
                                               "        f.write('%d\\n' % event['id'])\n"
                                               "    while True:\n"
                                               "        time.sleep(0.05)\n";
    ASSERT_NO_FATAL_FAILURE(sim_.start(dir_));
    std::ofstream(dir_ / "shotgunEventDaemon.conf")
        << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
           "state.sqlite\n"
           "logMode: 1\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 20\n"
           "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.2\nmax_event_batch_size: 50\n"
           "backlog_timeout: 120\nretry_attempts: 1\nshutdown_timeout: "
        << kShutdownTimeoutS << "\n[shotgun]\nserver: http://127.0.0.1:" << sim_.port()
        << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\nrequest_timeout: 5\n"
           "[plugins]\npaths: plugins\n[emails]\nenabled: False\n";
  }
  void TearDown() override {
    sim_.stop();
    fs::remove_all(dir_);
  }

  std::string log() const { return slurp(dir_ / "logs/shotgunEventDaemon"); }
  std::string stderrText() const { return slurp(dir_ / "daemon.stderr"); }
  std::int64_t appendEvents(int n) {
    auto r = sim_.http().Post("/sim/events", json{{"count", n}}.dump(), "application/json");
    if (!r || r->status != 200) {
      ADD_FAILURE() << "POST /sim/events failed";
      return 0;
    }
    return json::parse(r->body)["last"].get<std::int64_t>();
  }

  fs::path dir_;
  SimProcess sim_;
};

}  // namespace

TEST_F(HungPluginTest, HungPluginRemovedFromDiskOthersKeepGoingAndSigtermStopsWithinShutdownTimeout) {
  const auto countFile = dir_ / "count.txt";
  const auto marker = dir_ / "hang.marker";
  auto daemon = std::make_unique<Process>(
      std::vector<std::string>{SGEVENTD_BINARY, "-c", (dir_ / "shotgunEventDaemon.conf").string(),
                               "foreground"},
      std::map<std::string, std::string>{{"SGEVENTD_COUNT_FILE", countFile.string()},
                                         {"SGEVENTD_HANG_MARKER", marker.string()}},
      (dir_ / "daemon.stderr").string());
  ASSERT_TRUE(waitUntil([&] {
    const auto text = log();
    return text.find("Plugin count_events") != std::string::npos &&
           text.find("Plugin hang") != std::string::npos;
  })) << "both plugins never started:\n"
      << stderrText();

  // First batch: count_events takes all of it, hang is stuck inside its first callback.
  const auto first = appendEvents(10);
  ASSERT_GT(first, 0);
  ASSERT_TRUE(waitUntil([&] { return countedIds(marker).size() == 1; }, 15s))
      << "the hang plugin never entered its callback:\n"
      << stderrText();
  ASSERT_TRUE(waitUntil([&] { return countedIds(countFile).size() >= static_cast<std::size_t>(first); }, 15s))
      << "count_events got " << countedIds(countFile).size() << " of " << first << " while hang was stuck:\n"
      << stderrText();

  // Removed from disk while stuck: the daemon notices and keeps delivering to count_events.
  fs::remove(dir_ / "plugins/hang.py");
  ASSERT_TRUE(waitUntil([&] { return hasLineWith(log(), "hang", "was removed"); }, 10s))
      << "no log line about hang.py being removed:\n"
      << log();
  const auto last = appendEvents(20);
  ASSERT_GT(last, first);
  ASSERT_TRUE(waitUntil([&] { return countedIds(countFile).size() >= static_cast<std::size_t>(last); }, 15s))
      << "count_events got " << countedIds(countFile).size() << " of " << last
      << " after hang.py was removed:\n"
      << log();
  auto counted = countedIds(countFile);
  std::sort(counted.begin(), counted.end());
  std::vector<std::int64_t> expected;
  for (std::int64_t i = 1; i <= last; ++i) {
    expected.push_back(i);
  }
  EXPECT_EQ(counted, expected) << "every id exactly once";
  EXPECT_EQ(countedIds(marker).size(), 1u) << "hang's callback returned or was called again";
  ASSERT_FALSE(daemon->wait(0ms)) << "the daemon exited on its own:\n" << stderrText();

  // The stuck callback cannot hold the stop beyond shutdown_timeout.
  const auto sent = std::chrono::steady_clock::now();
  daemon->signal(SIGTERM);
  const auto code = daemon->wait(std::chrono::seconds(kShutdownTimeoutS + 3));
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
  RecordProperty("stop_ms", static_cast<int>(took.count()));
  ASSERT_TRUE(code) << "the daemon did not stop within shutdown_timeout + 3 s:\n" << log();
  EXPECT_LT(took, std::chrono::seconds(kShutdownTimeoutS + 3));
  const auto text = log() + stderrText();
  EXPECT_NE(text.find("did not finish within"), std::string::npos)
      << "no log line about the stop timing out (exit code " << *code << ", " << took.count() << " ms):\n"
      << text;
}
