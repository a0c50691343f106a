// The daemon in broker mode as an operator runs it: `sgeventd foreground` against `sgeventd sim` and a
// nats-server of the test's own. It publishes the site's events once each and in order, resumes after a
// restart and after NATS restarted, and a standby daemon takes over within 10 s of the leader's kill -9
// with nothing missing or twice in the stream.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "../daemon/process.h"
#include "../daemon/sim_fixture.h"
#include "../support/temp_dir.h"
#include "../support/wait.h"
#include "broker/stream_report.h"
#include "nats_cluster.h"
#include "nats_server.h"
#include "stream_reader.h"

using namespace std::chrono_literals;
using sgeventd::testing::NatsServer;
using sgeventd::testing::Process;
using sgeventd::testing::SimProcess;
using sgeventd::testing::slurp;
using sgeventd::testing::TempDir;
using sgeventd::testing::waitUntil;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSite = "sim";
constexpr const char* kStream = "SGEVENTS";

class DaemonPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nats_.start());
    ASSERT_NO_FATAL_FAILURE(sim_.start(dir_.path()));
    auto connection = sgeventd::broker::Connection::connect(nats_.options());
    ASSERT_TRUE(connection) << connection.error().message;
    connection_ = std::move(*connection);
  }
  void TearDown() override { sim_.stop(); }

  // One daemon's folder: its config, state and logs. The plugins folder is empty: in broker mode the
  // daemon loads none.
  fs::path writeConfig(const std::string& name, const std::string& urls = "", int replicas = 1) {
    const fs::path home = dir_.path() / name;
    fs::create_directories(home / "plugins");
    std::ofstream conf(home / "shotgunEventDaemon.conf");
    conf << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
            "state.sqlite\n"
            "logMode: 1\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 20\n"
            "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.1\nmax_event_batch_size: 200\n"
            "shutdown_timeout: 10\n"
            "[shotgun]\nserver: http://127.0.0.1:"
         << sim_.port()
         << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\n"
            "[plugins]\npaths: plugins\n[emails]\nenabled: False\n[admin]\nlisten: 127.0.0.1:0\n"
            "[broker]\nurl: "
         << (urls.empty() ? nats_.url() : urls) << "\nsite: " << kSite << "\nreplicas: " << replicas << "\n";
    return home;
  }
  std::unique_ptr<Process> startDaemon(const fs::path& home) {
    return std::make_unique<Process>(
        std::vector<std::string>{SGEVENTD_BINARY, "-c", (home / "shotgunEventDaemon.conf").string(),
                                 "foreground"},
        std::map<std::string, std::string>{}, (home / "daemon.stderr").string());
  }
  static std::string logOf(const fs::path& home) { return slurp(home / "logs/shotgunEventDaemon"); }
  static bool logged(const fs::path& home, const std::string& text) {
    return logOf(home).find(text) != std::string::npos;
  }

  std::int64_t appendEvents(int n) {
    return sim_.post("/sim/events", {{"count", n}})["last"].get<std::int64_t>();
  }
  // The newest event of the site before the daemon first started: it publishes what comes after.
  std::int64_t siteHead() { return appendEvents(0); }

  std::uint64_t streamMessages() {
    auto report = sgeventd::broker::streamReport(*connection_, kStream);
    return report ? (*report)["stream"]["messages"].get<std::uint64_t>() : 0;
  }
  // The event ids the stream holds, in stream order.
  std::vector<std::int64_t> streamIds() {
    std::vector<std::int64_t> ids;
    for (const auto& m :
         sgeventd::testing::readStream(*connection_, kStream, kSite, "reader" + std::to_string(++readers_))) {
      ids.push_back(m.eventId);
    }
    return ids;
  }
  static std::vector<std::int64_t> range(std::int64_t first, std::int64_t last) {
    std::vector<std::int64_t> out;
    for (std::int64_t id = first; id <= last; ++id) {
      out.push_back(id);
    }
    return out;
  }

  TempDir dir_;
  NatsServer nats_;
  SimProcess sim_;
  sgeventd::broker::ConnectionPtr connection_;
  int readers_ = 0;
};

}  // namespace

TEST_F(DaemonPublisherTest, PublishesEachEventOnceInOrderAndResumesAfterARestart) {
  const auto head = siteHead();
  const auto home = writeConfig("a");
  auto daemon = startDaemon(home);
  ASSERT_TRUE(waitUntil(
      [&] { return logged(home, "Broker mode: publishing to stream SGEVENTS") && logged(home, "Admin API"); },
      30s))
      << slurp(home / "daemon.stderr") << logOf(home);
  EXPECT_TRUE(logged(home, "Leading: this daemon"));
  auto last = appendEvents(700);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 30s))
      << streamMessages() << " of " << last - head << "\n"
      << logOf(home);
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s).value_or(-1), 0) << slurp(home / "daemon.stderr");

  // Stopped, it misses nothing: what the site logged meanwhile is published after its restart.
  last = appendEvents(300);
  auto again = startDaemon(home);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 30s))
      << streamMessages() << " of " << last - head;
  EXPECT_EQ(streamIds(), range(head + 1, last));

  // `sgeventd status` shows the stream from the servers.
  Process status({SGEVENTD_BINARY, "-c", (home / "shotgunEventDaemon.conf").string(), "status"}, {},
                 (home / "status.stderr").string());
  std::string out;
  while (auto line = status.readLine(10s)) {
    out += *line + "\n";
  }
  EXPECT_EQ(status.wait(10s).value_or(-1), 0);
  EXPECT_NE(out.find("stream SGEVENTS: " + std::to_string(last - head) + " messages"), std::string::npos)
      << out;
  // The admin API has the publisher's counters and the stream's consumers.
  std::string adminUrl = slurp(home / "state.sqlite.admin-url");
  while (!adminUrl.empty() && std::isspace(static_cast<unsigned char>(adminUrl.back()))) {
    adminUrl.pop_back();
  }
  httplib::Client admin(adminUrl);
  auto reply = admin.Get("/api/v1/status");
  ASSERT_TRUE(reply && reply->status == 200);
  const auto body = nlohmann::json::parse(reply->body);
  EXPECT_EQ(body["broker"]["leader"], true);
  EXPECT_EQ(body["broker"]["stream"]["messages"], last - head);
  EXPECT_EQ(body["broker"]["publisher"]["acknowledged"], 300) << body["broker"].dump();
  EXPECT_TRUE(body["broker"]["consumers"].is_array());
  EXPECT_EQ(body["plugins"][0]["name"], "jetstream-publisher") << body["plugins"].dump();
  // /metrics has the publisher's counters, and promtool accepts it.
  std::string metrics;
  ASSERT_TRUE(waitUntil(
      [&] {
        auto r = admin.Get("/metrics");
        metrics = r ? r->body : "";
        return metrics.find("sgeventd_broker_acknowledged_events_total 300\n") != std::string::npos;
      },
      10s))
      << metrics;
  EXPECT_NE(metrics.find("sgeventd_broker_leader 1\n"), std::string::npos) << metrics;
  std::ofstream(home / "metrics.txt") << metrics;
  std::string promtool;
  EXPECT_EQ(sgeventd::testing::runCommand(
                {"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + (home / "metrics.txt").string()},
                promtool),
            0)
      << promtool;
  again->signal(SIGTERM);
  EXPECT_EQ(again->wait(20s).value_or(-1), 0);
}

TEST_F(DaemonPublisherTest, ANatsRestartLosesNothingAndKeepsTheLease) {
  const auto head = siteHead();
  const auto home = writeConfig("a");
  auto daemon = startDaemon(home);
  ASSERT_TRUE(
      waitUntil([&] { return logged(home, "Broker mode: publishing") && logged(home, "Admin API"); }, 30s))
      << logOf(home);
  auto last = appendEvents(300);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 30s));
  connection_.reset();
  nats_.stop();
  last = appendEvents(400);  // logged by the site while NATS is away
  ASSERT_TRUE(waitUntil([&] { return logged(home, "publishing to JetStream failed"); }, 20s)) << logOf(home);
  ASSERT_TRUE(nats_.start());
  auto connection = sgeventd::broker::Connection::connect(nats_.options());
  ASSERT_TRUE(connection);
  connection_ = std::move(*connection);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 60s))
      << streamMessages() << " of " << last - head << "\n"
      << logOf(home);
  EXPECT_EQ(streamIds(), range(head + 1, last));
  // It is still the leader: no other daemon held the key, and it kept running.
  EXPECT_FALSE(logged(home, "Lost the leadership lease"));
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s).value_or(-1), 0) << logOf(home);
}

TEST_F(DaemonPublisherTest, AStandbyTakesOverWithinTenSecondsOfTheLeadersKill) {
  const auto head = siteHead();
  const auto leaderHome = writeConfig("leader");
  const auto standbyHome = writeConfig("standby");
  auto leader = startDaemon(leaderHome);
  ASSERT_TRUE(waitUntil(
      [&] { return logged(leaderHome, "Broker mode: publishing") && logged(leaderHome, "Admin API"); }, 30s))
      << logOf(leaderHome);
  auto standby = startDaemon(standbyHome);
  ASSERT_TRUE(waitUntil([&] { return logged(standbyHome, "Standby: "); }, 30s)) << logOf(standbyHome);
  EXPECT_FALSE(logged(standbyHome, "Leading:"));

  auto last = appendEvents(500);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 30s));
  // Events keep coming while the leader dies.
  last = appendEvents(200);
  leader->signal(SIGKILL);
  const auto killedAt = std::chrono::steady_clock::now();
  ASSERT_TRUE(leader->wait(10s));
  ASSERT_TRUE(waitUntil([&] { return logged(standbyHome, "Broker mode: publishing"); }, 20s))
      << logOf(standbyHome);
  const auto takeover = std::chrono::steady_clock::now() - killedAt;
  EXPECT_LT(takeover, 10s);
  std::cout << "[ figure ] the standby led "
            << std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count()
            << " ms after the leader's kill -9\n";
  last = appendEvents(300);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 30s))
      << streamMessages() << " of " << last - head << "\n"
      << logOf(standbyHome);
  EXPECT_EQ(streamIds(), range(head + 1, last));

  // The old leader comes back as the standby of the new one.
  const auto before = logOf(leaderHome).size();
  auto back = startDaemon(leaderHome);
  ASSERT_TRUE(
      waitUntil([&] { return logOf(leaderHome).find("Standby: ", before) != std::string::npos; }, 30s))
      << logOf(leaderHome);
  EXPECT_EQ(logOf(leaderHome).find("Leading:", before), std::string::npos);
  back->signal(SIGTERM);
  EXPECT_EQ(back->wait(20s).value_or(-1), 0);
  standby->signal(SIGTERM);
  EXPECT_EQ(standby->wait(20s).value_or(-1), 0) << logOf(standbyHome);
}

TEST_F(DaemonPublisherTest, OneNodeOfAThreeNodeClusterDiesAndNothingIsLost) {
  sgeventd::testing::NatsCluster cluster;
  ASSERT_TRUE(cluster.start());
  auto clusterConnection = sgeventd::broker::Connection::connect(cluster.options());
  ASSERT_TRUE(clusterConnection) << clusterConnection.error().message;
  connection_ = std::move(*clusterConnection);
  const auto head = siteHead();
  const auto home = writeConfig("a", cluster.urlList(), 3);
  auto daemon = startDaemon(home);
  ASSERT_TRUE(
      waitUntil([&] { return logged(home, "Broker mode: publishing") && logged(home, "Admin API"); }, 60s))
      << logOf(home);
  auto last = appendEvents(500);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 30s))
      << streamMessages() << " of " << last - head << "\n"
      << logOf(home);
  auto report = sgeventd::broker::streamReport(*connection_, kStream);
  ASSERT_TRUE(report);
  EXPECT_EQ((*report)["stream"]["replicas"], 3);
  // Each node in turn is the one the daemon may be connected to or the stream's leader: kill the first.
  cluster.kill(0);
  last = appendEvents(500);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 60s))
      << streamMessages() << " of " << last - head << "\n"
      << logOf(home);
  EXPECT_EQ(streamIds(), range(head + 1, last));
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s).value_or(-1), 0) << logOf(home);
}

TEST_F(DaemonPublisherTest, ADaemonStartedBeforeNatsWaitsForItAndAStandbyStopsPromptly) {
  connection_.reset();
  nats_.stop();
  const auto head = siteHead();
  const auto home = writeConfig("a");
  auto daemon = startDaemon(home);
  ASSERT_TRUE(waitUntil([&] { return logged(home, "Cannot reach NATS yet"); }, 20s)) << logOf(home);
  ASSERT_TRUE(nats_.start());
  auto connection = sgeventd::broker::Connection::connect(nats_.options());
  ASSERT_TRUE(connection);
  connection_ = std::move(*connection);
  ASSERT_TRUE(waitUntil([&] { return logged(home, "Admin API"); }, 30s)) << logOf(home);
  EXPECT_TRUE(logged(home, "Connected to NATS."));
  const auto last = appendEvents(50);
  ASSERT_TRUE(waitUntil([&] { return streamMessages() == static_cast<std::uint64_t>(last - head); }, 30s));

  // A standby asked to stop while it waits for the lease stops at once, and leaves the lease alone.
  const auto standbyHome = writeConfig("standby");
  auto standby = startDaemon(standbyHome);
  ASSERT_TRUE(waitUntil([&] { return logged(standbyHome, "Standby: "); }, 30s)) << logOf(standbyHome);
  standby->signal(SIGTERM);
  EXPECT_EQ(standby->wait(5s).value_or(-1), 0) << logOf(standbyHome);
  EXPECT_TRUE(logged(standbyHome, "Stopped before this daemon led."));
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s).value_or(-1), 0) << logOf(home);
}
