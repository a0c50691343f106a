#pragma once
// ActivityGenerator: simulated artists working on a small demo project, writing through the site's
// api3 write path so every change logs real events: Task status changes (wtg -> ip -> rev -> fin),
// Version and Note creates linked to Shots and Tasks, Task assignee changes (multi-entity added/removed).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "core/expected.h"
#include "sim/site.h"

namespace sgeventd::sim {

class ActivityGenerator {
 public:
  // About `eventsPerSecond` events a second (each action logs one to a few events).
  ActivityGenerator(Site& site, double eventsPerSecond, std::uint64_t seed = 1);
  ~ActivityGenerator();  // stops
  ActivityGenerator(const ActivityGenerator&) = delete;
  ActivityGenerator& operator=(const ActivityGenerator&) = delete;

  // Seeds the demo project (once per site: reused when present) and starts the artists' thread.
  Expected<void> start();
  void stop();
  // Seeds the demo project if needed; start() calls it. Tests may drive step() by hand instead.
  Expected<void> seedDemoProject();
  // One artist action; returns an error only when the site refused a write.
  Expected<void> step();
  std::int64_t actions() const { return actions_.load(); }

 private:
  void run();
  Actor artist();

  Site& site_;
  double rate_;
  std::mt19937_64 rng_;
  std::int64_t projectId_ = 0;
  std::vector<std::int64_t> users_, shots_, tasks_;
  int versionCounter_ = 0;
  std::atomic<std::int64_t> actions_{0};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace sgeventd::sim
