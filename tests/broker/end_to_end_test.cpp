// Broker mode whole, as an operator runs it: `sgeventd sim` as the site, `sgeventd foreground` publishing
// its events into JetStream, and `sgeventd worker --broker` processes running the plugins. Every event of
// the site reaches every plugin once and in order, with a nats-server of the test's own and with a 3-node
// R3 cluster that loses a node while the workers consume.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "../daemon/sim_fixture.h"
#include "nats_cluster.h"
#include "worker_fixture.h"

namespace sgeventd::testing {
namespace {

using namespace std::chrono_literals;

class EndToEnd : public WorkerFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(WorkerFixture::SetUp());
    ASSERT_NO_FATAL_FAILURE(sim.start(dir.path()));
  }
  void TearDown() override {
    if (daemon) {
      daemon->signal(SIGTERM);
      EXPECT_EQ(daemon->wait(20s).value_or(-1), 0) << daemonLog();
    }
    sim.stop();
  }

  // The publisher daemon on the sim, for the workers' site and stream; returns once it reads the site.
  void startDaemon(int replicas = 1) {
    const fs::path home = dir.path() / "daemon";
    fs::create_directories(home / "plugins");
    std::ofstream(home / "shotgunEventDaemon.conf")
        << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
           "state.sqlite\n"
           "logMode: 1\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 20\n"
           "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.1\nshutdown_timeout: 10\n"
           "[shotgun]\nserver: http://127.0.0.1:"
        << sim.port()
        << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\n"
           "[plugins]\npaths: plugins\n[emails]\nenabled: False\n[admin]\nlisten: 127.0.0.1:0\n"
           "[broker]\nurl: "
        << (brokerUrls.empty() ? server.url() : brokerUrls) << "\nsite: " << kSite << "\nstream: " << kStream
        << "\nreplicas: " << replicas << "\n";
    daemon = std::make_unique<Process>(
        std::vector<std::string>{SGEVENTD_BINARY, "-c", (home / "shotgunEventDaemon.conf").string(),
                                 "foreground"},
        std::map<std::string, std::string>{}, (home / "daemon.stderr").string());
    // The engine reads the site's newest id as it starts: events appended before that are not its to publish.
    ASSERT_TRUE(waitUntil([&] { return daemonLog().find("Admin API") != std::string::npos; }, 60s))
        << slurp(home / "daemon.stderr") << daemonLog();
  }
  std::string daemonLog() const { return slurp(dir.path() / "daemon/logs/shotgunEventDaemon"); }

  // Appends `n` events to the site; returns the newest id.
  std::int64_t appendEvents(int n) {
    return sim.post("/sim/events", {{"count", n}})["last"].get<std::int64_t>();
  }

  SimProcess sim;
  std::unique_ptr<Process> daemon;
};

TEST_F(EndToEnd, HundredThousandSiteEventsRunOncePerPluginInOrderOnThreeWorkers) {
  constexpr int kEvents = 100000;
  const std::vector<std::string> plugins = {"alpha", "beta", "gamma"};
  for (const auto& plugin : plugins) {
    addPlugin("plugins-" + plugin, plugin);
    startWorker(plugin, "plugins-" + plugin);
  }
  for (const auto& plugin : plugins) {
    ASSERT_TRUE(logged(plugin, "Consumer sgeventd-" + plugin + " created")) << workerLog(plugin);
  }
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  const std::int64_t head = appendEvents(0);
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t last = appendEvents(kEvents);
  ASSERT_EQ(last - head, kEvents);
  // Each plugin's line count: a line is written per call, so this is the cheap way to watch 100,000.
  for (const auto& plugin : plugins) {
    ASSERT_TRUE(linesReach(plugin, kEvents, 480s)) << plugin << ": " << lineCount(out(plugin)) << " lines\n"
                                                   << workerLog(plugin) << daemonLog();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[ figures  ] %d site events through the daemon, JetStream and three workers (one plugin each) in "
      "%.1f s: %.0f events/s per plugin, %.0f callbacks/s in all\n",
      kEvents, seconds, kEvents / seconds, 3 * kEvents / seconds);
  for (const auto& plugin : plugins) {
    stopWorker(plugin);
    const auto calls = readCalls(out(plugin));
    ASSERT_EQ(calls.size(), static_cast<std::size_t>(kEvents)) << plugin;
    ASSERT_NO_FATAL_FAILURE(expectInOrder(calls, head + 1, last, {})) << plugin;
  }
}

TEST_F(EndToEnd, ANodeOfAThreeNodeClusterDiesWhileWorkersConsumeAndNothingIsLost) {
  NatsCluster cluster;
  ASSERT_TRUE(cluster.start());
  brokerUrls = cluster.urlList();
  auto clustered = broker::Connection::connect(cluster.options());
  ASSERT_TRUE(clustered) << clustered.error().message;
  // The cluster's own stream, R3, before the workers bind to it.
  ASSERT_TRUE(broker::ensureStream(**clustered,
                                   broker::StreamSettings{.name = kStream, .site = kSite, .replicas = 3}));
  // Two milliseconds per event keep the workers busy across the node's death.
  addPlugin("plugins-a", "steady", "sleep:0:2");
  addPlugin("plugins-b", "other");
  startWorker("a", "plugins-a", "replicas: 3\n");
  startWorker("b", "plugins-b", "replicas: 3\n");
  ASSERT_TRUE(logged("a", "Consumer sgeventd-steady created", 1, 30s)) << workerLog("a");
  ASSERT_TRUE(logged("b", "Consumer sgeventd-other created", 1, 30s)) << workerLog("b");
  ASSERT_NO_FATAL_FAILURE(startDaemon(3));
  const std::int64_t head = appendEvents(0);
  appendEvents(1500);
  ASSERT_TRUE(linesReach("steady", 200, 60s)) << workerLog("a") << daemonLog();
  cluster.kill(0);
  ASSERT_LT(lineCount(out("steady")), 1500U) << "too fast to lose the node mid-stream";
  const std::int64_t last = appendEvents(500);
  ASSERT_TRUE(allRan({"steady", "other"}, static_cast<std::size_t>(last - head), 120s))
      << lineCount(out("steady")) << " and " << lineCount(out("other")) << " of " << last - head << "\n"
      << workerLog("a") << workerLog("b") << daemonLog();
  stopWorker("a");
  stopWorker("b");
  ASSERT_NO_FATAL_FAILURE(expectOnceBarLostAcks({"steady", "other"}, head + 1, last));
}

}  // namespace
}  // namespace sgeventd::testing
