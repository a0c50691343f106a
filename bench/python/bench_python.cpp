// Catch-up throughput through a trivial Python plugin, invoked directly on the loaded Plugin from one and
// two threads, against a native no-op baseline in the same run; and the interpreter's share of RSS.
//
//   bench_python [events=200000]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/memory_log.h"
#include "plugins/native/native_loader.h"
#include "plugins/python/python_loader.h"

namespace {

using namespace sgeventd;

long residentKiB() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// `spreadSeconds`: each event a second after the one before, as on a quiet site, instead of all in one
// second as in a burst (the created_at datetime is made once per second).
std::vector<core::Event> makeEvents(int n, bool spreadSeconds) {
  std::vector<core::Event> events(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& e = events[static_cast<std::size_t>(i)];
    e.id = 1000 + i;
    e.eventType = "Shotgun_Task_Change";
    e.attributeName = "sg_status_list";
    char createdAt[32];
    const int second = spreadSeconds ? i : 0;
    std::snprintf(createdAt, sizeof createdAt, "2024-03-01T%02d:%02d:%02dZ", second / 3600 % 24,
                  second / 60 % 60, second % 60);
    e.json =
        R"({"type":"EventLogEntry","id":)" + std::to_string(e.id) +
        R"(,"event_type":"Shotgun_Task_Change","attribute_name":"sg_status_list",)"
        R"("entity":{"type":"Task","id":4711,"name":"anim"},"user":{"type":"HumanUser","id":35,"name":"Kevin"},)"
        R"("project":{"type":"Project","id":65,"name":"Big Buck Bunny"},)"
        R"("session_uuid":"450e4da2-dafa-11e0-9ba7-0023dffffeab","created_at":")" +
        createdAt +
        R"(",)"
        R"("meta":{"type":"attribute_change","attribute_name":"sg_status_list","entity_type":"Task",)"
        R"("entity_id":4711,"old_value":"ip","new_value":"fin"}})";
  }
  return events;
}

// Events per second over `threads` threads, each with its own plugin (a lane per plugin).
double throughput(const std::vector<plugins::PluginPtr>& perThread, const std::vector<core::Event>& events) {
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (const auto& plugin : perThread) {
    threads.emplace_back([&, plugin] {
      for (const auto& event : events) {
        if (!plugin->invoke(0, event, {}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failures > 0) {
    std::fprintf(stderr, "%d invocations failed\n", failures.load());
  }
  return static_cast<double>(events.size() * perThread.size()) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  const auto events = makeEvents(n, false);
  const auto spreadEvents = makeEvents(n, true);
  auto logs = std::make_shared<core::MemoryLogFactory>(core::LogLevel::Warning);
  const plugins::HostContext context{logs, nullptr, false};
  const auto folder =
      std::filesystem::temp_directory_path() / ("sgeventd-bench-python-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);

  const long rssBefore = residentKiB();
  auto loader = plugins::python::makePythonLoader({});
  if (!loader) {
    std::fprintf(stderr, "%s\n", loader.error().message.c_str());
    return 1;
  }
  std::vector<plugins::PluginPtr> python;
  for (const char* name : {"trivial_a", "trivial_b"}) {
    const auto file = folder / (std::string(name) + ".py");
    std::ofstream(file) << "def cb(sg, logger, event, args):\n    pass\n\n"
                           "def registerCallbacks(reg):\n    reg.registerCallback('bench', 'key', cb)\n";
    auto plugin = (*loader)->load({"bench", name, file}, context);
    if (!plugin) {
      std::fprintf(stderr, "%s\n", plugin.error().message.c_str());
      return 1;
    }
    python.push_back(*plugin);
  }
  const long rssAfter = residentKiB();

  std::vector<plugins::PluginPtr> native;
#ifdef SGEVENTD_NOOP_PLUGIN
  auto nativeLoader = plugins::native::makeNativeLoader(folder);
  for (const char* name : {"noop_a", "noop_b"}) {
    auto plugin = nativeLoader->load({"bench", name, SGEVENTD_NOOP_PLUGIN}, context);
    if (!plugin) {
      std::fprintf(stderr, "%s\n", plugin.error().message.c_str());
      return 1;
    }
    native.push_back(*plugin);
  }
#endif

  const double py1 = throughput({python[0]}, events);
  const double py1Spread = throughput({python[0]}, spreadEvents);
  const double py2 = throughput(python, events);
  std::printf("python trivial plugin, 1 thread : %12.0f events/s (%d events of one second)\n", py1, n);
  std::printf("  the same, a second apart      : %12.0f events/s (x%.2f)\n", py1Spread, py1Spread / py1);
  std::printf("python trivial plugin, 2 threads: %12.0f events/s (GIL-bound; x%.2f of 1 thread)\n", py2,
              py2 / py1);
  if (!native.empty()) {
    const double c1 = throughput({native[0]}, events);
    const double c2 = throughput(native, events);
    std::printf("native no-op plugin,  1 thread : %12.0f events/s\n", c1);
    std::printf("native no-op plugin,  2 threads: %12.0f events/s\n", c2);
    std::printf("python / native (1 thread)     : %12.4f\n", py1 / c1);
  }
  std::printf(
      "RSS before interpreter: %ld KiB, after interpreter + 2 plugins: %ld KiB, interpreter share: %ld KiB\n",
      rssBefore, rssAfter, rssAfter - rssBefore);
  python.clear();
  native.clear();
  loader->reset();
  plugins::python::finalizePython();
  std::filesystem::remove_all(folder);
  return 0;
}
