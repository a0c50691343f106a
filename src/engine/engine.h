#pragma once
// The engine: one fetcher per site, one lane per plugin (or one for all with strict_order), the shared
// gap set and event window, and the plugin set kept in step with what is on disk.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/expected.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "engine/event_window.h"
#include "engine/fetcher.h"
#include "engine/gap_tracker.h"
#include "engine/lane.h"
#include "plugins/catalog.h"
#include "plugins/plugin.h"
#include "store/state_store.h"

namespace sgeventd::engine {

// One plugin file as the plugin host last saw it; `generation` changes on every (re)load.
using PluginSlot = plugins::PluginSlot;

// Where plugins come from: the plugin catalog in production, a fixed list in tests.
class PluginSource {
 public:
  virtual ~PluginSource() = default;
  // The current plugins in the original's dispatch order; reloads changed files (all with `force`).
  virtual std::vector<PluginSlot> refresh(bool force) = 0;
};

struct EngineOptions {
  FetcherOptions fetcher;
  LaneOptions lane;
  std::chrono::seconds backlogTimeout{300};
  FailurePolicy policy;
  std::map<std::string, FailurePolicy> policyOverrides;  // by plugin name
  bool strictOrder = false;
  std::size_t windowCapacity = 20000;
};

struct EngineDeps {
  store::StateStore& store;
  core::LogFactoryPtr logs;
  core::ClockPtr clock;
  core::Shutdown& shutdown;
  std::function<std::unique_ptr<shotgrid::Client>()> makeClient;  // with the daemon's own credentials
  PluginSource& plugins;
  std::function<void(const TimingRecord&)> timing;  // empty: no timing log
};

struct EngineStatus {
  FetcherStatus fetcher;
  std::vector<MemberStatus> plugins;
};

class Engine {
 public:
  Engine(EngineOptions options, EngineDeps deps);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Restores the state, finds the head (waiting for the site if it is down), loads the plugins and starts
  // the fetcher and the lanes. An error means the engine could not start (a stop came first, or the state
  // could not be read).
  Expected<void> start();
  // Picks up plugin files that appeared, changed or went away (every file with `force`: SIGHUP).
  void refreshPlugins(bool force);
  // Stops fetching, lets every lane finish its event in flight and commit, and joins them.
  void stop();

  EngineStatus status() const;
  // The first event id a plugin without a checkpoint starts after.
  std::int64_t head() const { return window_.head(); }

 private:
  LanePositions lanePositions() const;
  FailurePolicy policyFor(const std::string& pluginName) const;
  Progress startingProgress(const plugins::PluginId& id);
  LaneContext laneContext();

  EngineOptions options_;
  EngineDeps deps_;
  core::LoggerPtr log_;
  GapTracker gaps_;
  EventWindow window_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<shotgrid::Client> probe_;          // the plugin-refresh thread's own connection
  std::map<std::string, store::Checkpoint> stored_;  // checkpoints read at start, by plugin key

  mutable std::mutex lanesMutex_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  struct Placement {
    Lane* lane;
    std::uint64_t generation;
  };
  std::map<std::string, Placement> placements_;  // plugin key -> its lane
  std::chrono::steady_clock::time_point lastHeadSave_{};
  bool started_ = false;
};

}  // namespace sgeventd::engine
