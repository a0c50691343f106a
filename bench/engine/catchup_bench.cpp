// Catch-up throughput: how fast the daemon works through a backlog of events, with a no-op native plugin
// and with a trivial Python plugin, against `sgeventd sim` in another process holding a large log. The
// baseline of the same run is the client alone reading the same pages (the network and the simulated site
// are the ceiling). Then the daemon process (its peak RSS, then its idle CPU), state_sync = full on the log's
// tail, and a latency-bound site (every read answered after 100 ms, as a real site far away): the client
// alone, then catch-ups with fetch_concurrency 1 and 4. The sim does not compress (on loopback gzip only
// costs CPU on both sides); one line gives a catch-up with gzip at level 1, as a site sends it.
//   bench_catchup [EVENTS=1000000] [IDLE_SECONDS=10] [SLOW_EVENTS=20000] [FULL_EVENTS=20000]
#include <httplib.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "../../tests/daemon/process.h"
#include "app/catalog_source.h"
#include "core/memory_log.h"
#include "engine/engine.h"
#include "plugins/catalog.h"
#include "plugins/native/native_loader.h"
#include "plugins/python/python_loader.h"
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

// A field of /proc/PID/status in KiB ("VmHWM", "RssAnon", ...); -1 when missing.
long statusKiB(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

// The peak RSS (KiB) of an empty program linked against the daemon's shared libraries, with the embedded
// interpreter started when `python`; -1 when unknown.
long libraryFloorKiB(bool python) {
  std::vector<std::string> argv{SGEVENTD_LIBRARY_FLOOR};
  if (python) {
    argv.emplace_back("python");
  }
  testing::Process floor(argv, {}, "/dev/null");
  const auto line = floor.readLine(30s);
  floor.wait(30s);
  return line ? std::stol(*line) : -1;
}

// CPU seconds the process's threads have run, from their schedstat (nanoseconds, where /proc/PID/stat
// counts in 10 ms ticks, too coarse for an idle daemon).
double processCpuSeconds(pid_t pid) {
  std::int64_t nanoseconds = 0;
  std::error_code error;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    std::ifstream schedstat(task.path() / "schedstat");
    std::int64_t ran = 0;
    if (schedstat >> ran) {
      nanoseconds += ran;
    }
  }
  return static_cast<double>(nanoseconds) / 1e9;
}

struct DaemonMemory {
  long peak = 0;  // VmHWM
  long anon = 0;  // RssAnon at the end: the daemon's own memory
  long file = 0;  // RssFile: pages of the binary and shared libraries
  double rate = 0;
  double idleCpu = 0;  // CPU seconds over the idle seconds after the catch-up
};

// The real daemon (`sgeventd -c CONF foreground`) through the whole log with the plugin in `folder`, its
// peak RSS read from /proc at the end of the catch-up (the in-process runs above share this process's
// heap with the benchmark); then its CPU over `idleSeconds` with nothing new on the site.
std::optional<DaemonMemory> daemonCatchUp(const fs::path& dir, const fs::path& folder,
                                          const std::string& plugin, int port, std::int64_t last,
                                          int idleSeconds) {
  const fs::path d = dir / ("daemon-" + plugin);
  fs::create_directories(d);
  const std::string database = (d / "state.sqlite").string();
  {
    auto store = store::StateStore::open(database, store::OpenMode::Daemon);
    if (!store || !(*store)->commit({{folder.string(), plugin, 0, {}}}) || !(*store)->setHead(1)) {
      return std::nullopt;
    }
  }
  std::ofstream(d / "daemon.conf") << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\n"
                                   << "state_database: " << database
                                   << "\nlogMode: 0\nlogPath: " << d.string()
                                   << "\nlogFile: daemon\nlogging: 30\nconn_retry_sleep: 1\n"
                                   << "max_conn_retries: 3\nfetch_interval: 5\n"
                                   << "[shotgun]\nserver: http://127.0.0.1:" << port
                                   << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\n"
                                   << "[plugins]\npaths: " << folder.string()
                                   << "\n[emails]\nenabled: False\n"
                                   << "[admin]\nlisten:\n";
  testing::Process daemon({SGEVENTD_BINARY, "-c", (d / "daemon.conf").string(), "foreground"}, {},
                          (d / "daemon.stderr").string());
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + 600s;
  DaemonMemory out;
  // One reader, looked at ten times a second: a fresh open per look cost the daemon a fifth of its rate.
  std::unique_ptr<store::StateStore> reader;
  std::int64_t firstCursor = 0;
  auto firstSeen = start;
  for (;;) {
    std::this_thread::sleep_for(100ms);
    if (!reader) {
      auto opened = store::StateStore::open(database, store::OpenMode::ReadOnly);
      if (opened) {
        reader = std::move(*opened);
      }
    }
    auto checkpoint = reader ? reader->loadCheckpoint(folder.string(), plugin)
                             : Expected<std::optional<store::Checkpoint>>(std::nullopt);
    if (checkpoint && *checkpoint && (*checkpoint)->cursor > 0 && firstCursor == 0) {
      firstCursor = (*checkpoint)->cursor;  // start-up is over: the rate counts from here
      firstSeen = std::chrono::steady_clock::now();
    }
    if (checkpoint && *checkpoint && (*checkpoint)->cursor >= last) {
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "the daemon did not finish; see " << d << "\n";
      return std::nullopt;
    }
  }
  out.rate = static_cast<double>(last - firstCursor) /
             std::chrono::duration<double>(std::chrono::steady_clock::now() - firstSeen).count();
  out.peak = statusKiB(daemon.pid(), "VmHWM");
  out.anon = statusKiB(daemon.pid(), "RssAnon");
  out.file = statusKiB(daemon.pid(), "RssFile");
  // Idle starts after the fetcher's next step (fetch_interval, 5 s, once caught up), which drops the
  // read-ahead's last events: freeing those thousands of events is the catch-up's cost, not idling's.
  std::this_thread::sleep_for(6s);
  const double idleStart = processCpuSeconds(daemon.pid());
  std::this_thread::sleep_for(std::chrono::seconds(idleSeconds));
  out.idleCpu = processCpuSeconds(daemon.pid()) - idleStart;
  daemon.signal(SIGTERM);
  daemon.wait(30s);
  return out;
}

// `sgeventd sim` on port 0; returns its port, 0 when it did not start.
int startSim(std::unique_ptr<testing::Process>& sim, const fs::path& dir, const std::string& name, int gzip) {
  sim = std::make_unique<testing::Process>(
      std::vector<std::string>{SGEVENTD_BINARY, "sim", "--port", "0", "--gzip-level", std::to_string(gzip)},
      std::map<std::string, std::string>{}, (dir / (name + ".stderr")).string());
  while (true) {
    auto line = sim->readLine(30s);
    if (!line) {
      return 0;
    }
    if (auto at = line->find("http://127.0.0.1:"); at != std::string::npos) {
      return std::stoi(line->substr(at + 17));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t events = argc > 1 ? std::stoll(argv[1]) : 1'000'000;
  const int idleSeconds = argc > 2 ? std::stoi(argv[2]) : 10;
  const std::int64_t slowEvents = argc > 3 ? std::stoll(argv[3]) : 20'000;
  const std::int64_t fullEvents = argc > 4 ? std::stoll(argv[4]) : 20'000;
  const fs::path dir = fs::temp_directory_path() / ("sgeventd-bench-catchup-" + std::to_string(getpid()));
  fs::create_directories(dir / "native");
  fs::create_directories(dir / "python");
  fs::copy_file(SGEVENTD_NOOP_PLUGIN, dir / "native/noop.so");
  std::ofstream(dir / "python/trivial.py") << "def cb(sg, logger, event, args):\n    pass\n\n"
                                              "def registerCallbacks(reg):\n"
                                              "    reg.registerCallback('bench', 'key', cb)\n";
  plugins::python::PythonSettings pythonSettings;
  auto pythonLoader = plugins::python::makePythonLoader(pythonSettings);  // on the main thread, first
  if (!pythonLoader) {
    std::cerr << pythonLoader.error().message << "\n";
    return 1;
  }

  std::unique_ptr<testing::Process> sim;
  const int port = startSim(sim, dir, "sim", 0);
  if (port == 0) {
    std::cerr << "the sim did not start\n";
    return 1;
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

  auto makeClientFor = [](int sitePort) {
    shotgrid::ClientOptions o;
    o.server = "http://127.0.0.1:" + std::to_string(sitePort);
    o.auth = {"sgeventd", "sim-key", {}, {}};
    return std::make_unique<shotgrid::Client>(o);
  };

  // One 500-event page of the log after `after`, as the fetcher reads it.
  auto readPageAfter = [](shotgrid::Client& client, std::int64_t after) {
    return client.findEvents(nlohmann::json::array({nlohmann::json::array({"id", "greater_than", after})}),
                             500);
  };

  // The client alone reading every page after `from`, as the fetcher does with one read at a time.
  auto clientAlone = [&](int sitePort, std::int64_t from) -> double {
    auto client = makeClientFor(sitePort);
    const auto start = std::chrono::steady_clock::now();
    std::int64_t after = from;
    while (after < last) {
      auto page = readPageAfter(*client, after);
      if (!page || page->empty()) {
        std::cerr << "the client alone could not read\n";
        return 0;
      }
      after = page->back().id;
    }
    return static_cast<double>(last - from) /
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  // The trivial Python plugin's own ceiling on one thread: invoked directly on 10,000 events already
  // read, twenty times over, with no fetch, window or checkpoint (each invocation builds the event dict).
  auto pythonInvokedAlone = [&](int sitePort) -> double {
    auto logs = std::make_shared<core::MemoryLogFactory>(core::LogLevel::Warning);
    const plugins::HostContext context{logs, nullptr, false};
    auto plugin =
        (*pythonLoader)->load({(dir / "python").string(), "trivial", dir / "python/trivial.py"}, context);
    auto client = makeClientFor(sitePort);
    std::vector<core::Event> read;
    while (plugin && read.size() < 10'000) {
      const std::int64_t after = read.empty() ? 0 : read.back().id;
      auto page = readPageAfter(*client, after);
      if (!page || page->empty()) {
        break;
      }
      read.insert(read.end(), std::make_move_iterator(page->begin()), std::make_move_iterator(page->end()));
    }
    if (!plugin || read.empty()) {
      std::cerr << "cannot invoke the Python plugin alone\n";
      return 0;
    }
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < 20; ++round) {
      for (const auto& event : read) {
        (void)(*plugin)->invoke(0, event, {});
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return static_cast<double>(read.size()) * 20 / seconds;
  };

  struct Run {
    double rate = 0;
    double cpu = 0;
  };
  // One catch-up with a fresh state database, from `from` (0: the start of the log) to its end, reading
  // `concurrency` ranges at once, through the plugin in folder `kind` ("native" or "python").
  auto catchUp = [&](const std::string& kind, store::SyncMode sync, const std::string& name, int concurrency,
                     std::int64_t from, int sitePort) -> std::optional<Run> {
    const fs::path stateDir = dir / name;
    fs::create_directories(stateDir);
    auto store = store::StateStore::open((stateDir / "state.sqlite").string(), store::OpenMode::Daemon, sync);
    if (!store) {
      std::cerr << store.error().message << "\n";
      return std::nullopt;
    }
    const std::string collection = (dir / kind).string();
    const std::string pluginName = kind == "native" ? "noop" : "trivial";
    (void)(*store)->commit({{collection, pluginName, from, {}}});
    (void)(*store)->setHead(std::max<std::int64_t>(from, 1));
    auto logs = std::make_shared<core::MemoryLogFactory>(core::LogLevel::Warning);
    plugins::HostContext host;
    host.logs = logs;
    host.makeClient = [&, sitePort](const std::string&, const std::string&) {
      return makeClientFor(sitePort);
    };
    std::vector<plugins::PluginLoaderPtr> loaders;
    loaders.push_back(plugins::native::makeNativeLoader());
    if (kind == "python") {
      auto loader = plugins::python::makePythonLoader(pythonSettings);
      if (!loader) {
        std::cerr << loader.error().message << "\n";
        return std::nullopt;
      }
      loaders.push_back(std::move(*loader));
    }
    plugins::PluginCatalog catalog({{collection, dir / kind}}, std::move(loaders), host);
    app::CatalogSource source(catalog);
    core::Shutdown shutdown;
    engine::EngineOptions options;
    options.fetcher.fetchInterval = 5s;
    // The daemon's defaults (queue_size 1000, max_event_batch_size 500; daemon_runtime.cpp).
    options.fetcher.lead = std::max<std::size_t>(1000, 2 * static_cast<std::size_t>(concurrency) * 500);
    options.fetcher.concurrency = concurrency;
    options.lane.rangeReads = static_cast<std::size_t>(concurrency);
    options.windowCapacity = options.fetcher.lead + static_cast<std::size_t>(concurrency + 3) * 500;
    auto makeReader = [&, sitePort] { return makeClientFor(sitePort); };
    engine::Engine engine(options, {**store, logs, core::systemClock(), shutdown, makeReader, source, {}});
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
    run.rate = static_cast<double>(last - from) /
               std::chrono::duration<double>(std::chrono::steady_clock::now() - runStart).count();
    run.cpu = cpuSeconds() - cpuStart;
    shutdown.request();
    engine.stop();
    return run;
  };

  const long rssBefore = peakRssKiB();
  // The shared machine's pace moves by a third from one run to the next: the baseline and the default
  // catch-ups are the median of three (interleaved, so a slow spell does not fall on one row only).
  std::vector<double> baseRates;
  std::vector<Run> natives, pythons;
  for (int round = 0; round < 3; ++round) {
    baseRates.push_back(clientAlone(port, 0));
    const std::string suffix = "-round" + std::to_string(round);
    auto nativeRun = catchUp("native", store::SyncMode::Normal, "native" + suffix, 4, 0, port);
    auto pythonRun = catchUp("python", store::SyncMode::Normal, "python" + suffix, 4, 0, port);
    if (!nativeRun || !pythonRun) {
      return 1;
    }
    natives.push_back(*nativeRun);
    pythons.push_back(*pythonRun);
  }
  auto median = [](std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  auto medianRun = [](std::vector<Run> runs) {
    std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.rate < b.rate; });
    return std::optional<Run>(runs[runs.size() / 2]);
  };
  const double baseRate = median(baseRates);
  auto native = medianRun(natives);
  auto python = medianRun(pythons);
  auto nativeOne = catchUp("native", store::SyncMode::Normal, "native-1", 1, 0, port);
  const std::int64_t fullFrom = std::max<std::int64_t>(0, last - fullEvents);
  auto full = catchUp("native", store::SyncMode::Full, "full", 4, fullFrom, port);
  if (baseRate == 0 || !native || !nativeOne || !python || !full) {
    return 1;
  }
  const double pythonAlone = pythonInvokedAlone(port);
  const long rssAfterCatchUps = peakRssKiB();
  auto nativeDaemon = daemonCatchUp(dir, dir / "native", "noop", port, last, idleSeconds);
  auto pythonDaemon = daemonCatchUp(dir, dir / "python", "trivial", port, last, 0);
  if (!nativeDaemon || !pythonDaemon) {
    return 1;
  }
  const long floorKiB = libraryFloorKiB(false);
  const long pythonFloorKiB = libraryFloorKiB(true);

  // The same site gzipping its replies at level 1, as a site does: the client alone and the native catch-up.
  std::unique_ptr<testing::Process> gzipSim;
  const int gzipPort = startSim(gzipSim, dir, "sim-gzip", 1);
  httplib::Client gzipControl("127.0.0.1", gzipPort);
  gzipControl.set_read_timeout(600, 0);
  auto gzipAppended =
      gzipControl.Post("/sim/events", nlohmann::json{{"count", events}}.dump(), "application/json");
  if (gzipPort == 0 || !gzipAppended || gzipAppended->status != 200) {
    std::cerr << "cannot start the gzip sim\n";
    return 1;
  }
  const double gzipBaseRate = clientAlone(gzipPort, 0);
  auto gzipNative = catchUp("native", store::SyncMode::Normal, "gzip", 4, 0, gzipPort);
  gzipSim.reset();
  if (!gzipNative) {
    return 1;
  }

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
  const double slowBaseRate = clientAlone(port, slowFrom);
  auto slowOne = catchUp("python", store::SyncMode::Normal, "slow-1", 1, slowFrom, port);
  auto slowFour = catchUp("python", store::SyncMode::Normal, "slow-4", 4, slowFrom, port);
  if (slowBaseRate == 0 || !slowOne || !slowFour) {
    return 1;
  }
  auto row = [](const std::string& what, double rate, double base) {
    std::cout << what << std::string(what.size() < 52 ? 52 - what.size() : 1, ' ') << static_cast<long>(rate)
              << " events/s, ratio to the client alone " << rate / base << "\n";
  };
  std::cout << "events in the log: " << last << " (appended in " << appendSeconds << " s)\n"
            << "client alone, reading the log (baseline):           " << static_cast<long>(baseRate)
            << " events/s (median of three; this row and the two default catch-ups below)\n";
  row("native no-op plugin, state_sync=normal (default):", native->rate, baseRate);
  row("  the same with fetch_concurrency=1:", nativeOne->rate, baseRate);
  row("trivial Python plugin, state_sync=normal:", python->rate, baseRate);
  row("native no-op plugin, state_sync=full (" + std::to_string(last - fullFrom) + " events):", full->rate,
      baseRate);
  std::cout << "  CPU per event: native " << 1e6 * native->cpu / static_cast<double>(last) << " us, Python "
            << 1e6 * python->cpu / static_cast<double>(last) << " us\n"
            << "idle CPU of the daemon process (native plugin) over " << idleSeconds
            << " s after the catch-up: " << nativeDaemon->idleCpu << " s ("
            << 100.0 * nativeDaemon->idleCpu / idleSeconds << " % of a core)\n"
            << "peak RSS of this process: before the engine " << rssBefore / 1024
            << " MiB, after the catch-ups " << rssAfterCatchUps / 1024 << " MiB\n"
            << "the daemon process through the whole log (from its first commit), peak RSS / own memory "
               "(RssAnon) / library pages (RssFile) at the end:\n"
            << "  native no-op plugin: " << static_cast<long>(nativeDaemon->rate) << " events/s, "
            << nativeDaemon->peak / 1024 << " / " << nativeDaemon->anon / 1024 << " / "
            << nativeDaemon->file / 1024 << " MiB\n"
            << "  trivial Python plugin: " << static_cast<long>(pythonDaemon->rate) << " events/s, "
            << pythonDaemon->peak / 1024 << " / " << pythonDaemon->anon / 1024 << " / "
            << pythonDaemon->file / 1024 << " MiB\n"
            << "  an empty program linked against the daemon's shared libraries: " << floorKiB / 1024
            << " MiB peak RSS, with the interpreter started: " << pythonFloorKiB / 1024 << " MiB\n"
            << "the site gzipping at level 1: client alone " << static_cast<long>(gzipBaseRate)
            << " events/s\n";
  row("  native no-op plugin, state_sync=normal:", gzipNative->rate, gzipBaseRate);
  std::cout << "latency-bound site (100 ms a read), " << last - slowFrom << " events:\n"
            << "  client alone, one read at a time:                 " << static_cast<long>(slowBaseRate)
            << " events/s\n";
  row("  trivial Python plugin, fetch_concurrency=1:", slowOne->rate, slowBaseRate);
  row("  trivial Python plugin, fetch_concurrency=4:", slowFour->rate, slowBaseRate);
  // The targets against this run, each with the figure that explains a gap.
  auto target = [](const std::string& what, bool met, const std::string& figure, const std::string& gap) {
    std::cout << "  " << what << ": " << figure << (met ? ", met" : ", not met: " + gap) << "\n";
  };
  auto number = [](double v) { return std::to_string(static_cast<long>(v)); };
  auto ratio = [](double v) {
    char text[16];
    std::snprintf(text, sizeof text, "%.2f", v);
    return std::string(text);
  };
  auto mib = [](long kib) { return std::to_string(kib / 1024) + " MiB"; };
  constexpr double kMB = 1e6 / 1024;  // KiB in a megabyte
  std::cout << "python plugin invoked alone on one thread (its ceiling): " << number(pythonAlone)
            << " events/s, ratio to the client alone " << ratio(pythonAlone / baseRate) << "\n"
            << "targets:\n";
  target("client alone >= 500,000 events/s", baseRate >= 500'000, number(baseRate), "the site's pace here");
  target("native >= 500,000 events/s", native->rate >= 500'000, number(native->rate),
         "the client alone's " + number(baseRate) + " bounds it");
  target("native >= 0.80 of the client alone", native->rate >= 0.8 * baseRate, ratio(native->rate / baseRate),
         "the lane, the fetch and the sim share two cores");
  target("Python >= 100,000 events/s", python->rate >= 100'000, number(python->rate), "");
  target("Python >= 0.70 of the client alone", python->rate >= 0.7 * baseRate, ratio(python->rate / baseRate),
         "one lane thread runs the interpreter, whose own ceiling is " + ratio(pythonAlone / baseRate) +
             " of the client alone, and shares the two cores with the fetch and the sim");
  target("latency-bound site, Python >= 15,000 events/s", slowFour->rate >= 15'000, number(slowFour->rate),
         "");
  target("native daemon peak RSS <= 12 MB", static_cast<double>(nativeDaemon->peak) <= 12 * kMB,
         mib(nativeDaemon->peak), "the shared libraries alone peak at " + mib(floorKiB));
  target("Python daemon peak RSS <= 24 MB", static_cast<double>(pythonDaemon->peak) <= 24 * kMB,
         mib(pythonDaemon->peak),
         "the shared libraries with the interpreter started peak at " + mib(pythonFloorKiB));
  target("idle <= 0.1 % of a core", nativeDaemon->idleCpu <= 0.001 * idleSeconds,
         ratio(100.0 * nativeDaemon->idleCpu / idleSeconds) + " %", "");
  fs::remove_all(dir);
  return 0;
}
