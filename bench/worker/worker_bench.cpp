// Worker processes against thread mode, with the real daemon binary against `sgeventd sim` holding a
// backlog, each run from a fresh state placed at event 0:
//   1. a trivial Python plugin: catch-up rate in thread mode (the baseline) and in a worker process;
//   2. two CPU-bound Python plugins (about 1 ms of pure Python per event): combined rate in thread mode
//      (one GIL) and in two workers;
//   3. the idle RSS of a worker with one Python plugin and of a worker group with two.
// A plugin notes the time of the first and the last event it ran, so start-up is not in the rates.
//   bench_worker [TRIVIAL_EVENTS=20000] [CPU_EVENTS=2000]
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../../tests/daemon/process.h"
#include "store/state_store.h"

using namespace sgeventd;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Writes "<first time> <last time> <pid>" when it sees the last id; spins `spin` iterations per event.
std::string plugin(const std::string& name, int spin) {
  return "import os, time\n"
         "LAST = int(os.environ['BENCH_LAST'])\n"
         "state = {}\n"
         "def registerCallbacks(reg):\n"
         "    reg.registerCallback('sgeventd', 'sim-key', onEvent, None, None)\n"
         "def onEvent(sg, logger, event, args):\n"
         "    if 'first' not in state:\n"
         "        state['first'] = time.time()\n"
         "    n = 0\n"
         "    for i in range(" +
         std::to_string(spin) +
         "):\n"
         "        n += i * i\n"
         "    if event['id'] == LAST:\n"
         "        with open(os.path.join(os.environ['BENCH_OUT'], '" +
         name +
         ".done'), 'w') as f:\n"
         "            f.write('%f %f %d' % (state['first'], time.time(), os.getpid()))\n";
}

struct Done {
  double first = 0;
  double last = 0;
  long pid = 0;
};

std::optional<Done> readDone(const fs::path& file) {
  std::ifstream in(file);
  Done d;
  if (in >> d.first >> d.last >> d.pid) {
    return d;
  }
  return std::nullopt;
}

long rssKiB(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

class Bench {
 public:
  Bench() : dir_(fs::temp_directory_path() / ("sgeventd-bench-worker-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~Bench() {
    sim_.reset();
    fs::remove_all(dir_);
  }

  bool startSim(std::int64_t events) {
    sim_ = std::make_unique<testing::Process>(
        std::vector<std::string>{SGEVENTD_BINARY, "sim", "--port", "0", "--gzip-level", "0"},
        std::map<std::string, std::string>{}, (dir_ / "sim.stderr").string());
    while (port_ == 0) {
      auto line = sim_->readLine(30s);
      if (!line) {
        return false;
      }
      if (auto at = line->find("http://127.0.0.1:"); at != std::string::npos) {
        port_ = std::stoi(line->substr(at + 17));
      }
    }
    httplib::Client control("127.0.0.1", port_);
    control.set_read_timeout(600, 0);
    auto r = control.Post("/sim/events", nlohmann::json{{"count", events}}.dump(), "application/json");
    if (!r || r->status != 200) {
      return false;
    }
    last_ = nlohmann::json::parse(r->body)["last"].get<std::int64_t>();
    return true;
  }

  // One daemon run over the whole log; `plugins` maps a plugin name to its spin count, `sections` adds
  // [plugin:NAME] sections. Returns each plugin's Done, or nothing after a timeout.
  std::optional<std::map<std::string, Done>> run(const std::string& name,
                                                 const std::map<std::string, int>& plugins,
                                                 const std::string& sections, bool holdForRss = false) {
    const fs::path d = dir_ / name;
    fs::create_directories(d / "plugins");
    fs::create_directories(d / "out");
    for (const auto& [plugin, spin] : plugins) {
      std::ofstream(d / "plugins" / (plugin + ".py")) << ::plugin(plugin, spin);
    }
    {
      auto store = store::StateStore::open((d / "state.sqlite").string(), store::OpenMode::Daemon);
      if (!store) {
        std::cerr << store.error().message << "\n";
        return std::nullopt;
      }
      std::vector<store::Checkpoint> at0;
      for (const auto& [plugin, spin] : plugins) {
        at0.push_back({"plugins", plugin, 0, {}});
      }
      (void)(*store)->commit(at0);
      (void)(*store)->setHead(1);
    }
    std::ofstream(d / "shotgunEventDaemon.conf")
        << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
           "state.sqlite\n"
           "logMode: 0\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 30\n"
           "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.5\nmax_event_batch_size: 500\n"
           "queue_size: 5000\n"
           "[shotgun]\nserver: http://127.0.0.1:"
        << port_ << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\n"
        << "[plugins]\npaths: plugins\n[emails]\nenabled: False\n[admin]\nlisten:\n"
        << sections;
    testing::Process daemon({SGEVENTD_BINARY, "-c", (d / "shotgunEventDaemon.conf").string(), "foreground"},
                            {{"BENCH_OUT", (d / "out").string()}, {"BENCH_LAST", std::to_string(last_)}},
                            (d / "daemon.stderr").string());
    std::map<std::string, Done> out;
    const auto deadline = std::chrono::steady_clock::now() + 600s;
    while (out.size() < plugins.size() && std::chrono::steady_clock::now() < deadline) {
      for (const auto& [plugin, spin] : plugins) {
        if (auto done = readDone(d / "out" / (plugin + ".done"))) {
          out[plugin] = *done;
        }
      }
      std::this_thread::sleep_for(20ms);
    }
    if (out.size() < plugins.size()) {
      std::cerr << name << ": timed out; see " << d << "\n";
      return std::nullopt;
    }
    if (holdForRss) {
      std::this_thread::sleep_for(2s);  // idle: what a worker holds between events
      for (auto& [plugin, done] : out) {
        rss_[name + "/" + plugin] = rssKiB(done.pid);
      }
    }
    daemon.signal(SIGTERM);
    daemon.wait(30s);
    return out;
  }

  std::int64_t last() const { return last_; }
  long rss(const std::string& key) const { return rss_.count(key) ? rss_.at(key) : -1; }

 private:
  fs::path dir_;
  std::unique_ptr<testing::Process> sim_;
  int port_ = 0;
  std::int64_t last_ = 0;
  std::map<std::string, long> rss_;
};

double rate(std::int64_t events, const Done& d) {
  return static_cast<double>(events - 1) / (d.last - d.first);
}

// Combined rate of plugins run side by side: all their events over the span from the first start to the
// last finish.
double combined(std::int64_t events, const std::map<std::string, Done>& runs) {
  double first = 1e300;
  double last = 0;
  for (const auto& [name, d] : runs) {
    first = std::min(first, d.first);
    last = std::max(last, d.last);
  }
  return static_cast<double>(events * static_cast<std::int64_t>(runs.size())) / (last - first);
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t trivialEvents = argc > 1 ? std::stoll(argv[1]) : 20'000;
  const std::int64_t cpuEvents = argc > 2 ? std::stoll(argv[2]) : 2'000;
  constexpr int kSpin = 20'000;  // about 1 ms of pure Python per event on this machine's cores

  Bench trivial;
  if (!trivial.startSim(trivialEvents)) {
    std::cerr << "the sim did not start\n";
    return 1;
  }
  auto thread = trivial.run("trivial-thread", {{"trivial", 0}}, "");
  auto process =
      trivial.run("trivial-process", {{"trivial", 0}}, "[plugin:trivial]\nisolation: process\n", true);
  if (!thread || !process) {
    return 1;
  }
  const double threadRate = rate(trivial.last(), thread->at("trivial"));
  const double processRate = rate(trivial.last(), process->at("trivial"));
  std::cout << "trivial Python plugin, " << trivial.last() << " events:\n"
            << "  thread mode:    " << static_cast<long>(threadRate) << " events/s (baseline)\n"
            << "  worker process: " << static_cast<long>(processRate) << " events/s ("
            << processRate / threadRate << " of thread mode; target >= 0.85)\n";

  Bench cpu;
  if (!cpu.startSim(cpuEvents)) {
    std::cerr << "the sim did not start\n";
    return 1;
  }
  auto cpuThread = cpu.run("cpu-thread", {{"cpu_a", kSpin}, {"cpu_b", kSpin}}, "");
  auto cpuProcess = cpu.run("cpu-process", {{"cpu_a", kSpin}, {"cpu_b", kSpin}},
                            "[plugin:cpu_a]\nisolation: process\n[plugin:cpu_b]\nisolation: process\n");
  auto cpuGroup = cpu.run("cpu-group", {{"cpu_a", kSpin}, {"cpu_b", kSpin}},
                          "[plugin:cpu_a]\nisolation: process\nworker_group: g\n"
                          "[plugin:cpu_b]\nisolation: process\nworker_group: g\n",
                          true);
  if (!cpuThread || !cpuProcess || !cpuGroup) {
    return 1;
  }
  const double cpuThreadRate = combined(cpu.last(), *cpuThread);
  const double cpuProcessRate = combined(cpu.last(), *cpuProcess);
  const double cpuGroupRate = combined(cpu.last(), *cpuGroup);
  std::cout << "two CPU-bound Python plugins (" << kSpin << " loop iterations per event), " << cpu.last()
            << " events each, combined:\n"
            << "  thread mode (one GIL):     " << static_cast<long>(cpuThreadRate) << " events/s (baseline)\n"
            << "  two worker processes:      " << static_cast<long>(cpuProcessRate) << " events/s ("
            << cpuProcessRate / cpuThreadRate << "x; target >= 1.7x)\n"
            << "  one worker group (a GIL):  " << static_cast<long>(cpuGroupRate) << " events/s ("
            << cpuGroupRate / cpuThreadRate << "x)\n";
  std::cout << "idle RSS: a worker with one Python plugin " << trivial.rss("trivial-process/trivial")
            << " KiB; a worker group with two " << cpu.rss("cpu-group/cpu_a") << " KiB\n";
  return 0;
}
