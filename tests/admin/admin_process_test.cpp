// The admin server of the real daemon (`sgeventd foreground` against `sgeventd sim`, both as processes):
// /metrics through promtool with each family's values after known events, changes made through the API
// and the command line that outlive a restart, and /metrics hammered while events flow.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "../daemon/process.h"
#include "../daemon/sim_fixture.h"
#include "../support/wait.h"

using namespace std::chrono_literals;
using nlohmann::json;
using sgeventd::testing::countedIds;
using sgeventd::testing::Process;
using sgeventd::testing::runCommand;
using sgeventd::testing::SimProcess;
using sgeventd::testing::slurp;
using sgeventd::testing::waitUntil;
namespace fs = std::filesystem;

namespace {

constexpr const char* kToken = "test-token-4f9a";

class AdminProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sgeventd-admin-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    sgeventd::testing::preparePluginDir(dir_);
    ASSERT_NO_FATAL_FAILURE(sim_.start(dir_));
    std::ofstream(dir_ / "token") << kToken << "\n";
    fs::permissions(dir_ / "token", fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream conf(config());
    conf << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
            "state.sqlite\n"
            "logMode: 1\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 10\ntiming_log: on\n"
            "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.1\nmax_event_batch_size: 50\n"
            "backlog_timeout: 120\nretry_attempts: 1\nshutdown_timeout: 10\n"
            "[shotgun]\nserver: http://127.0.0.1:"
         << sim_.port()
         << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\nrequest_timeout: 5\n"
            "[plugins]\npaths: plugins\n[emails]\nenabled: False\n"
            "[plugin:count_events]\nstop_on_error: false\n"
            "[admin]\nlisten: 127.0.0.1:0\ntoken_file: token\n";
  }
  void TearDown() override {
    daemon_.reset();
    sim_.stop();
    fs::remove_all(dir_);
  }

  fs::path config() const { return dir_ / "shotgunEventDaemon.conf"; }
  fs::path countFile() const { return dir_ / "count.txt"; }
  fs::path addressFile() const { return dir_ / "state.sqlite.admin-url"; }

  void startDaemon(const std::string& failIds = "") {
    std::map<std::string, std::string> env{{"SGEVENTD_COUNT_FILE", countFile().string()}};
    if (!failIds.empty()) {
      env["SGEVENTD_COUNT_FAIL_IDS"] = failIds;
    }
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{SGEVENTD_BINARY, "-c", config().string(), "foreground"}, env,
        (dir_ / "daemon.stderr").string());
    ASSERT_TRUE(waitUntil([&] { return fs::exists(addressFile()); }, 60s)) << slurp(dir_ / "daemon.stderr");
    std::string url;
    std::ifstream(addressFile()) >> url;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(url, m, std::regex(R"(http://127\.0\.0\.1:(\d+))"))) << url;
    port_ = std::stoi(m[1]);
    // The daemon logs the address it bound.
    EXPECT_NE(slurp(dir_ / "logs/shotgunEventDaemon").find("status page at " + url + "/"), std::string::npos);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    http_->set_read_timeout(10, 0);
  }
  void stopDaemon() {
    http_.reset();
    daemon_->signal(SIGTERM);
    ASSERT_EQ(daemon_->wait(30s), 0);
    EXPECT_FALSE(fs::exists(addressFile())) << "the address file outlived the daemon";
    daemon_.reset();
  }

  std::int64_t appendEvents(int n) {
    return sim_.post("/sim/events", {{"count", n}})["last"].get<std::int64_t>();
  }
  json get(const std::string& path) {
    auto r = http_->Get(path);
    if (!r || r->status != 200) {
      ADD_FAILURE() << "GET " << path << ": " << (r ? r->body : "no answer");
      return nullptr;
    }
    return json::parse(r->body);
  }
  json plugin(const std::string& name) { return get("/api/v1/plugins/" + name); }
  // The value of one sample line of /metrics ("name{labels}" exactly), or -1.
  double metric(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(series + " ", 0) == 0) {
        return std::stod(line.substr(series.size() + 1));
      }
    }
    return -1;
  }
  int cli(const std::vector<std::string>& args, std::string& output) {
    std::vector<std::string> argv{SGEVENTD_BINARY, "-c", config().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    output.clear();
    return runCommand(argv, output, 60s);
  }

  fs::path dir_;
  SimProcess sim_;
  std::unique_ptr<Process> daemon_;
  std::unique_ptr<httplib::Client> http_;
  int port_ = 0;
};

}  // namespace

TEST_F(AdminProcessTest, MetricsPassPromtoolAndCountKnownEvents) {
  const std::int64_t before = appendEvents(1);  // the daemon's first start begins after this one
  ASSERT_NO_FATAL_FAILURE(startDaemon(std::to_string(before + 3) + "," + std::to_string(before + 7)));
  ASSERT_TRUE(waitUntil([&] { return plugin("count_events")["cursor"] == before; }, 30s));
  const std::int64_t last = appendEvents(10);
  ASSERT_EQ(last, before + 10);
  ASSERT_TRUE(waitUntil([&] { return plugin("count_events")["cursor"] == last; }, 30s))
      << plugin("count_events");
  ASSERT_EQ(http_->Get("/readyz")->status, 200);

  auto r = http_->Get("/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string text = r->body;
  const fs::path file = dir_ / "metrics.txt";
  std::ofstream(file) << text;
  std::string output;
  ASSERT_EQ(runCommand({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + file.string()}, output), 0)
      << output << text;

  const std::string p = "{plugin=\"count_events\"}";
  EXPECT_EQ(metric(text, "sgeventd_events_fetched_total"), 10) << text;
  EXPECT_EQ(metric(text, "sgeventd_head_event_id"), static_cast<double>(last));
  EXPECT_EQ(metric(text, "sgeventd_plugin_events_processed_total" + p), 10);
  EXPECT_EQ(metric(text, "sgeventd_plugin_callback_failures_total" + p), 2);
  EXPECT_EQ(metric(text, "sgeventd_plugin_events_skipped_total" + p), 2);
  EXPECT_EQ(metric(text, "sgeventd_plugin_callback_retries_total" + p), 0);
  EXPECT_EQ(metric(text, "sgeventd_plugin_callback_duration_seconds_count" + p), 10);
  EXPECT_EQ(
      metric(text, "sgeventd_plugin_callback_duration_seconds_bucket{plugin=\"count_events\",le=\"+Inf\"}"),
      10);
  EXPECT_GE(metric(text, "sgeventd_plugin_callback_duration_seconds_sum" + p), 0);
  EXPECT_EQ(metric(text, "sgeventd_plugin_lag_events" + p), 0);
  EXPECT_EQ(metric(text, "sgeventd_plugin_lag_seconds" + p), 0);
  EXPECT_EQ(metric(text, "sgeventd_plugin_active" + p), 1);
  EXPECT_EQ(metric(text, "sgeventd_plugin_state{plugin=\"count_events\",state=\"active\"}"), 1);
  EXPECT_EQ(metric(text, "sgeventd_ready"), 1);
  EXPECT_GE(metric(text, "sgeventd_open_gap_ids"), 0);
  EXPECT_GE(metric(text, "sgeventd_queue_depth_events"), 0);
  EXPECT_EQ(metric(text, "sgeventd_plugin_reloads_total"), 0);
  EXPECT_GT(metric(text, "sgeventd_site_last_contact_timestamp_seconds"), 1.7e9);
  EXPECT_NE(text.find("sgeventd_site_requests_total{"), std::string::npos) << text;
  EXPECT_GT(metric(text, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(metric(text, "process_open_fds"), 3);
  EXPECT_GE(metric(text, "process_cpu_seconds_total"), 0);
  const double start = metric(text, "process_start_time_seconds");
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(start, now - 300);
  EXPECT_LE(start, now + 1);

  // The same facts in the JSON.
  const json status = get("/api/v1/status");
  EXPECT_EQ(status["head"]["id"], last);
  EXPECT_EQ(status["ready"], true);
  EXPECT_EQ(status["state"], "running");
  const json c = plugin("count_events");
  EXPECT_EQ(c["processed"], 10);
  EXPECT_EQ(c["failures"], 2);
  EXPECT_EQ(c["skipped"], 2);
  EXPECT_EQ(c["lag_events"], 0);
  EXPECT_EQ(c["last_event_id"], last);
  EXPECT_FALSE(c["last_error"].get<std::string>().empty());
  EXPECT_EQ(c["events_per_minute"].back().get<int>() +
                (c["events_per_minute"].size() > 1
                     ? c["events_per_minute"][c["events_per_minute"].size() - 2].get<int>()
                     : 0),
            10)
      << c;
  stopDaemon();
}

TEST_F(AdminProcessTest, ChangesThroughTheApiAndTheCommandLineOutliveARestart) {
  const std::int64_t before = appendEvents(1);
  ASSERT_NO_FATAL_FAILURE(startDaemon(std::to_string(before + 2)));
  const std::int64_t last = appendEvents(4);
  ASSERT_TRUE(waitUntil([&] { return plugin("count_events")["cursor"] == last; }, 30s));

  std::string out;
  ASSERT_EQ(cli({"status"}, out), 0) << out;
  EXPECT_NE(out.find("sgeventd is running"), std::string::npos) << out;
  EXPECT_NE(out.find("count_events"), std::string::npos) << out;
  EXPECT_NE(out.find("active"), std::string::npos) << out;
  EXPECT_NE(out.find("ready"), std::string::npos) << out;

  // The failure: listed, shown, replayed (it fails again: the plugin still refuses that id).
  ASSERT_EQ(cli({"failures", "list"}, out), 0) << out;
  EXPECT_NE(out.find("count_events"), std::string::npos) << out;
  const json failures = get("/api/v1/failures?plugin=count_events");
  ASSERT_EQ(failures["failures"].size(), 1U) << failures;
  const std::string id = std::to_string(failures["failures"][0]["id"].get<std::int64_t>());
  EXPECT_EQ(failures["failures"][0]["event_id"], before + 2);
  ASSERT_EQ(cli({"failures", "show", id}, out), 0) << out;
  EXPECT_NE(out.find("event " + std::to_string(before + 2)), std::string::npos) << out;
  ASSERT_EQ(cli({"failures", "replay", id}, out), 0) << out;
  ASSERT_TRUE(waitUntil([&] { return plugin("count_events")["failures"] == 2; }, 30s))
      << plugin("count_events");
  EXPECT_NE(cli({"failures", "show", "999999"}, out), 0);
  EXPECT_NE(out.find("no failure record 999999"), std::string::npos) << out;

  // Without the token a change is refused; the CLI sends the one from token_file.
  auto refused = http_->Post("/api/v1/plugins/count_events/disable", "", "application/json");
  ASSERT_EQ(refused->status, 401);
  EXPECT_EQ(plugin("count_events")["state"], "active");
  ASSERT_EQ(cli({"plugins", "disable", "count_events"}, out), 0) << out;
  ASSERT_TRUE(waitUntil([&] { return plugin("count_events")["state"] == "disabled"; }, 30s));
  EXPECT_NE(cli({"plugins", "disable", "nope"}, out), 0);
  EXPECT_NE(out.find("no plugin"), std::string::npos) << out;
  // `state set` goes through the daemon while it runs.
  ASSERT_EQ(cli({"state", "set", "count_events", std::to_string(before + 1)}, out), 0) << out;
  EXPECT_NE(out.find("running daemon"), std::string::npos) << out;
  ASSERT_TRUE(waitUntil([&] { return plugin("count_events")["cursor"] == before + 1; }, 30s))
      << plugin("count_events");
  // The token is in no log line.
  for (const auto& file : fs::recursive_directory_iterator(dir_ / "logs")) {
    EXPECT_EQ(slurp(file.path()).find(kToken), std::string::npos) << file.path();
  }

  stopDaemon();
  // Offline, the CLI reads the database: the failure records are there.
  ASSERT_EQ(cli({"failures", "list"}, out), 0) << out;
  EXPECT_NE(out.find("count_events"), std::string::npos) << out;
  EXPECT_EQ(cli({"status"}, out), 3) << out;

  ASSERT_NO_FATAL_FAILURE(startDaemon());
  ASSERT_TRUE(waitUntil([&] { return !plugin("count_events").is_null(); }, 30s));
  const json after = plugin("count_events");
  EXPECT_EQ(after["state"], "disabled") << after;
  EXPECT_EQ(after["cursor"], before + 1) << after;
  const std::size_t counted = countedIds(countFile()).size();
  auto enabled = http_->Post("/api/v1/plugins/count_events/enable",
                             httplib::Headers{{"Authorization", std::string("Bearer ") + kToken}}, "",
                             "application/json");
  ASSERT_EQ(enabled->status, 202) << enabled->body;
  // Enabled at the position set before the restart: the events after it come again.
  ASSERT_TRUE(waitUntil([&] { return plugin("count_events")["cursor"] == last; }, 30s))
      << plugin("count_events");
  EXPECT_EQ(countedIds(countFile()).size(), counted + static_cast<std::size_t>(last - before - 1));
  stopDaemon();
}

TEST_F(AdminProcessTest, MetricsScrapesWhileEventsFlowLoseAndRepeatNothing) {
  const std::int64_t before = appendEvents(1);
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  ASSERT_TRUE(waitUntil([&] { return plugin("count_events")["cursor"] == before; }, 30s));
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port_);
      while (!stop) {
        auto r = c.Get(t == 0 ? "/api/v1/status" : "/metrics");
        (r && r->status == 200) ? ++scrapes : ++bad;
      }
    });
  }
  std::int64_t last = before;
  for (int i = 0; i < 10; ++i) {
    last = appendEvents(20);
  }
  const bool done = waitUntil([&] { return plugin("count_events")["cursor"] == last; }, 60s);
  stop = true;
  for (auto& c : clients) {
    c.join();
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(scrapes.load(), 10);
  const auto ids = countedIds(countFile());
  std::set<std::int64_t> unique(ids.begin(), ids.end());
  EXPECT_EQ(ids.size(), 200U);
  EXPECT_EQ(unique.size(), 200U);
  EXPECT_EQ(*unique.begin(), before + 1);
  EXPECT_EQ(*unique.rbegin(), last);
  stopDaemon();
}
