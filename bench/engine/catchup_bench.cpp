// Catch-up throughput: how fast the daemon works through a backlog of events with a no-op native plugin,
// against `sgeventd sim` in another process holding a large log. Baseline in the same run: the client
// alone reading the same pages (the network and the simulated site are the ceiling). Then the daemon's
// idle CPU and its peak RSS. Last, a latency-bound site (every read answered after 100 ms, as a real
// site far away): the client alone, then catch-ups with fetch_concurrency 1 and 4.
//   bench_catchup [EVENTS=1000000] [IDLE_SECONDS=10] [SLOW_EVENTS=20000]
#include <httplib.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../../tests/daemon/process.h"
#include "app/catalog_source.h"
#include "core/memory_log.h"
#include "engine/engine.h"
#include "plugins/catalog.h"
#include "plugins/native/native_loader.h"
#include "shotgrid/client.h"
#include "store/state_store.h"

using namespace sgeventd;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peakRssKiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t events = argc > 1 ? std::stoll(argv[1]) : 1'000'000;
  const int idleSeconds = argc > 2 ? std::stoi(argv[2]) : 10;
  const std::int64_t slowEvents = argc > 3 ? std::stoll(argv[3]) : 20'000;
  const fs::path dir = fs::temp_directory_path() / ("sgeventd-bench-catchup-" + std::to_string(getpid()));
  fs::create_directories(dir / "plugins");
  fs::copy_file(SGEVENTD_NOOP_PLUGIN, dir / "plugins/noop.so");

  testing::Process sim({SGEVENTD_BINARY, "sim", "--port", "0"}, {}, (dir / "sim.stderr").string());
  int port = 0;
  while (port == 0) {
    auto line = sim.readLine(30s);
    if (!line) {
      std::cerr << "the sim did not start\n";
      return 1;
    }
    if (auto at = line->find("http://127.0.0.1:"); at != std::string::npos) {
      port = std::stoi(line->substr(at + 17));
    }
  }
  httplib::Client control("127.0.0.1", port);
  control.set_read_timeout(600, 0);
  const auto appendStart = std::chrono::steady_clock::now();
  auto appended = control.Post("/sim/events", nlohmann::json{{"count", events}}.dump(), "application/json");
  if (!appended || appended->status != 200) {
    std::cerr << "cannot fill the sim's event log\n";
    return 1;
  }
  const double appendSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - appendStart).count();
  const std::int64_t last = nlohmann::json::parse(appended->body)["last"].get<std::int64_t>();

  auto makeClient = [port] {
    shotgrid::ClientOptions o;
    o.server = "http://127.0.0.1:" + std::to_string(port);
    o.auth = {"sgeventd", "sim-key", {}, {}};
    return std::make_unique<shotgrid::Client>(o);
  };

  // Baseline: the client alone reading every page, as the fetcher does.
  const auto baseStart = std::chrono::steady_clock::now();
  {
    auto client = makeClient();
    std::int64_t after = 0;
    while (after < last) {
      auto page = client->findEvents(
          nlohmann::json::array({nlohmann::json::array({"id", "greater_than", after})}), 500);
      if (!page || page->empty()) {
        std::cerr << "baseline read failed\n";
        return 1;
      }
      after = page->back().id;
    }
  }
  const double baseSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - baseStart).count();

  struct Run {
    double seconds = 0;
    double cpu = 0;
    double idleCpu = 0;
  };
  // One catch-up from id 0 to the end of the log, with a fresh state database.
  // From `from` (0: the start of the log) to its end, reading `concurrency` ranges at once.
  auto catchUp = [&](store::SyncMode sync, const std::string& name, int idle, int concurrency,
                     std::int64_t from) -> std::optional<Run> {
    const fs::path stateDir = dir / name;
    fs::create_directories(stateDir);
    auto store = store::StateStore::open((stateDir / "state.sqlite").string(), store::OpenMode::Daemon, sync);
    if (!store) {
      std::cerr << store.error().message << "\n";
      return std::nullopt;
    }
    (void)(*store)->commit({{dir.string() + "/plugins", "noop", from, {}}});
    (void)(*store)->setHead(std::max<std::int64_t>(from, 1));
    auto logs = std::make_shared<core::MemoryLogFactory>(core::LogLevel::Warning);
    plugins::HostContext host;
    host.logs = logs;
    host.makeClient = [makeClient](const std::string&, const std::string&) { return makeClient(); };
    std::vector<plugins::PluginLoaderPtr> loaders;
    loaders.push_back(plugins::native::makeNativeLoader());
    plugins::PluginCatalog catalog({{dir.string() + "/plugins", dir / "plugins"}}, std::move(loaders), host);
    app::CatalogSource source(catalog);
    core::Shutdown shutdown;
    engine::EngineOptions options;
    options.fetcher.fetchInterval = 5s;
    options.fetcher.lead = 10000;
    options.fetcher.concurrency = concurrency;
    options.windowCapacity = 12000;
    engine::Engine engine(options, {**store, logs, core::systemClock(), shutdown, makeClient, source, {}});
    Run run;
    const double cpuStart = cpuSeconds();
    const auto runStart = std::chrono::steady_clock::now();
    if (!engine.start()) {
      std::cerr << "engine did not start\n";
      return std::nullopt;
    }
    for (;;) {
      auto status = engine.status();
      if (!status.plugins.empty() && status.plugins[0].cursor >= last) {
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - runStart).count();
    run.cpu = cpuSeconds() - cpuStart;
    const double idleCpuStart = cpuSeconds();
    std::this_thread::sleep_for(std::chrono::seconds(idle));
    run.idleCpu = cpuSeconds() - idleCpuStart;
    shutdown.request();
    engine.stop();
    return run;
  };

  const long rssBefore = peakRssKiB();
  auto normal = catchUp(store::SyncMode::Normal, "normal", 0, 4, 0);
  auto normalOne = catchUp(store::SyncMode::Normal, "normal-1", 0, 1, 0);
  auto full = catchUp(store::SyncMode::Full, "full", idleSeconds, 4, 0);
  if (!normal || !normalOne || !full) {
    return 1;
  }
  const long rssAfterCatchUps = peakRssKiB();

  // The latency-bound site: every read waits 100 ms before it is answered.
  const std::int64_t slowFrom = std::max<std::int64_t>(0, last - slowEvents);
  auto slowed = control.Post(
      "/sim/faults",
      nlohmann::json{{"kind", "slow"}, {"delay_ms", 100}, {"probability", 1.0}, {"method", "read"}}.dump(),
      "application/json");
  if (!slowed || slowed->status != 200) {
    std::cerr << "cannot slow the sim down\n";
    return 1;
  }
  const auto slowBaseStart = std::chrono::steady_clock::now();
  {
    auto client = makeClient();
    std::int64_t after = slowFrom;
    while (after < last) {
      auto page = client->findEvents(
          nlohmann::json::array({nlohmann::json::array({"id", "greater_than", after})}), 500);
      if (!page || page->empty()) {
        std::cerr << "slow baseline read failed\n";
        return 1;
      }
      after = page->back().id;
    }
  }
  const double slowBaseSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - slowBaseStart).count();
  auto slowOne = catchUp(store::SyncMode::Normal, "slow-1", 0, 1, slowFrom);
  auto slowFour = catchUp(store::SyncMode::Normal, "slow-4", 0, 4, slowFrom);
  if (!slowOne || !slowFour) {
    return 1;
  }
  const double slowCount = static_cast<double>(last - slowFrom);
  const double slowBaseRate = slowCount / slowBaseSeconds;
  const double baseRate = static_cast<double>(last) / baseSeconds;
  const double fullRate = static_cast<double>(last) / full->seconds;
  const double normalRate = static_cast<double>(last) / normal->seconds;
  const double normalOneRate = static_cast<double>(last) / normalOne->seconds;
  std::cout << "events in the log:                     " << last << " (appended in " << appendSeconds
            << " s)\n"
            << "baseline, client reads alone:          " << static_cast<long>(baseRate) << " events/s\n"
            << "catch-up, state_sync=full:             " << static_cast<long>(fullRate) << " events/s ("
            << full->seconds << " s, " << full->cpu << " s CPU), ratio to baseline " << fullRate / baseRate
            << "\n"
            << "catch-up, state_sync=normal (default): " << static_cast<long>(normalRate) << " events/s ("
            << normal->seconds << " s, " << normal->cpu << " s CPU), ratio to baseline "
            << normalRate / baseRate << "\n"
            << "  the same with fetch_concurrency=1:   " << static_cast<long>(normalOneRate) << " events/s ("
            << normalOne->seconds << " s), ratio to baseline " << normalOneRate / baseRate << "\n"
            << "idle CPU over " << idleSeconds << " s:                   " << full->idleCpu << " s ("
            << 100.0 * full->idleCpu / idleSeconds << " % of a core)\n"
            << "peak RSS: before the engine " << rssBefore / 1024 << " MiB, after the catch-ups "
            << rssAfterCatchUps / 1024 << " MiB\n"
            << "latency-bound site (100 ms a read), " << static_cast<long>(slowCount) << " events:\n"
            << "  baseline, client reads alone:        " << static_cast<long>(slowBaseRate) << " events/s\n"
            << "  catch-up, fetch_concurrency=1:       " << static_cast<long>(slowCount / slowOne->seconds)
            << " events/s, ratio to baseline " << slowCount / slowOne->seconds / slowBaseRate << "\n"
            << "  catch-up, fetch_concurrency=4:       " << static_cast<long>(slowCount / slowFour->seconds)
            << " events/s, ratio to baseline " << slowCount / slowFour->seconds / slowBaseRate << "\n";
  fs::remove_all(dir);
  return 0;
}
