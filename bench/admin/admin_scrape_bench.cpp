// The lanes' rate with and without clients scraping the admin server: a catch-up of EVENTS events with
// a no-op native plugin against `sgeventd sim` in another process, with the admin server idle, then with
// SCRAPERS clients fetching /metrics and /api/v1/status (half each) every 100 ms (40 requests a second
// with 4 clients: far more than Prometheus and a few open status pages ask), then back to back (what one
// request costs the lanes on this machine), then idle again (the noise between two runs of the same
// thing). The rate is the events the lane finished while the scrapers ran (from the moment they all
// started to the end of the log) over that time, so the engine's start-up counts in neither. Prints both
// rates and their ratio (1.0: the scrapes cost the lanes nothing). Same run, same machine: the first run
// is the baseline.
//   bench_admin_scrape [EVENTS=200000] [SCRAPERS=4]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "../../tests/daemon/process.h"
#include "admin/admin_server.h"
#include "app/catalog_source.h"
#include "core/memory_log.h"
#include "core/metrics_registry.h"
#include "engine/engine.h"
#include "plugins/catalog.h"
#include "plugins/native/native_loader.h"
#include "shotgrid/client.h"
#include "store/state_store.h"

using namespace sgeventd;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const std::int64_t events = argc > 1 ? std::stoll(argv[1]) : 200'000;
  const int scrapers = argc > 2 ? std::stoi(argv[2]) : 4;
  const fs::path dir = fs::temp_directory_path() / ("sgeventd-bench-admin-" + std::to_string(getpid()));
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
  auto appended = control.Post("/sim/events", nlohmann::json{{"count", events}}.dump(), "application/json");
  if (!appended || appended->status != 200) {
    std::cerr << "cannot fill the sim's event log\n";
    return 1;
  }
  const std::int64_t last = nlohmann::json::parse(appended->body)["last"].get<std::int64_t>();
  auto makeClient = [port] {
    shotgrid::ClientOptions o;
    o.server = "http://127.0.0.1:" + std::to_string(port);
    o.auth = {"sgeventd", "sim-key", {}, {}};
    return std::make_unique<shotgrid::Client>(o);
  };

  struct Run {
    double seconds = 0;
    std::int64_t events = 0;  // finished by the lane in those seconds
    long scrapes = 0;         // answered 200
    long failedScrapes = 0;   // no answer, or not 200
    double rate() const { return static_cast<double>(events) / seconds; }
  };
  auto catchUp = [&](const std::string& name, int clients,
                     std::chrono::milliseconds pause) -> std::optional<Run> {
    const fs::path stateDir = dir / name;
    fs::create_directories(stateDir);
    auto store = store::StateStore::open((stateDir / "state.sqlite").string(), store::OpenMode::Daemon,
                                         store::SyncMode::Normal);
    if (!store) {
      std::cerr << store.error().message << "\n";
      return std::nullopt;
    }
    (void)(*store)->commit({{dir.string() + "/plugins", "noop", 0, {}}});
    (void)(*store)->setHead(1);
    auto logs = std::make_shared<core::MemoryLogFactory>(core::LogLevel::Warning);
    plugins::HostContext host;
    host.logs = logs;
    host.makeClient = [makeClient](const std::string&, const std::string&) { return makeClient(); };
    std::vector<plugins::PluginLoaderPtr> loaders;
    loaders.push_back(plugins::native::makeNativeLoader());
    plugins::PluginCatalog catalog({{dir.string() + "/plugins", dir / "plugins"}}, std::move(loaders), host);
    app::CatalogSource source(catalog);
    core::Shutdown shutdown;
    auto metrics = std::make_shared<core::MetricsRegistry>();
    engine::EngineOptions options;
    options.fetcher.fetchInterval = 5s;
    options.fetcher.lead = 10000;
    options.windowCapacity = 12000;
    engine::Engine engine(options,
                          {**store, logs, core::systemClock(), shutdown, makeClient, source, {}, metrics});
    admin::AdminServer server(
        admin::AdminOptions{},
        admin::AdminDeps{.status = [&engine] { return engine.status(); },
                         .control = [&engine](const auto& r) { return engine.control(r); },
                         .pollNow = [&engine] { engine.pollNow(); },
                         .store = **store,
                         .metrics = metrics,
                         .clock = core::systemClock(),
                         .log = logs->get("engine"),
                         .facts = {"bench", "bench", 0, std::chrono::system_clock::now()},
                         .stopping = [] { return false; }});
    if (!server.start()) {
      std::cerr << "the admin server did not start\n";
      return std::nullopt;
    }
    if (!engine.start()) {
      std::cerr << "engine did not start\n";
      return std::nullopt;
    }
    std::atomic<bool> stop{false};
    std::atomic<int> running{0};
    std::atomic<long> scrapes{0};
    std::atomic<long> failedScrapes{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back([&, i] {
        httplib::Client c("127.0.0.1", server.port());
        ++running;
        while (!stop) {
          auto r = c.Get(i % 2 == 0 ? "/metrics" : "/api/v1/status");
          ++(r && r->status == 200 ? scrapes : failedScrapes);
          if (pause.count() > 0) {
            std::this_thread::sleep_for(pause);
          }
        }
      });
    }
    while (running < clients) {
      std::this_thread::yield();
    }
    auto cursor = [&engine]() -> std::optional<std::int64_t> {
      auto status = engine.status();
      if (status.plugins.empty()) {
        return std::nullopt;
      }
      return status.plugins[0].cursor;
    };
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t from = cursor().value_or(0);
    const auto deadline = start + 10min;
    std::optional<std::int64_t> now;
    while (!(now = cursor()) || *now < last) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::cerr << "the lane did not reach event " << last << " in 10 minutes (at " << now.value_or(0)
                  << ")\n";
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    Run run;
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.events = now.value_or(0) - from;
    stop = true;
    for (auto& t : threads) {
      t.join();
    }
    run.scrapes = scrapes;
    run.failedScrapes = failedScrapes;
    server.stop();
    shutdown.request(0);
    engine.stop();
    return run;
  };

  const auto idle = catchUp("idle", 0, 0ms);
  const auto paced = catchUp("paced", scrapers, 100ms);
  const auto busy = catchUp("scraped", scrapers, 0ms);
  const auto idleAgain = catchUp("idle-again", 0, 0ms);
  fs::remove_all(dir);
  if (!idle || !paced || !busy || !idleAgain) {
    return 1;
  }
  // A run that measured nothing (the lane was done before it started, or no scrape was answered) is no
  // figure at all.
  for (const auto* r : {&*idle, &*paced, &*busy, &*idleAgain}) {
    if (r->events < last / 2) {
      std::cerr << "nothing measured: a run saw " << r->events << " events\n";
      return 1;
    }
  }
  if (paced->scrapes == 0 || busy->scrapes == 0) {
    std::cerr << "nothing measured: no scrape was answered\n";
    return 1;
  }
  const double baseline = (idle->rate() + idleAgain->rate()) / 2;
  auto label = [](std::string text) {
    text.resize(std::max<std::size_t>(text.size() + 1, 36), ' ');
    return text;
  };
  auto line = [&](const std::string& what, const Run& r) {
    std::cout << label(what) << static_cast<long>(r.rate()) << " events/s (" << r.events << " in "
              << r.seconds << " s";
    if (r.scrapes + r.failedScrapes > 0) {
      std::cout << "; " << r.scrapes << " scrapes, "
                << static_cast<long>(static_cast<double>(r.scrapes) / r.seconds) << "/s, " << r.failedScrapes
                << " failed";
    }
    std::cout << "); " << r.rate() / baseline << " of idle\n";
  };
  std::cout << std::fixed << std::setprecision(2) << label("events") << last << "\n";
  line("lanes, admin server idle", *idle);
  line("lanes, " + std::to_string(scrapers) + " clients every 100 ms", *paced);
  line("lanes, " + std::to_string(scrapers) + " clients back to back", *busy);
  line("lanes, admin server idle again", *idleAgain);
  return 0;
}
