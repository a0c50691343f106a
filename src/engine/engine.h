#pragma once
// The engine: one fetcher per site, one lane per plugin (or one for all with strict_order), the shared
// gap set and event window, and the plugin set kept in step with what is on disk. Control requests are
// posted to lanes; status is read from the board; neither waits for a lane or for the site.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/expected.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "engine/control.h"
#include "engine/event_window.h"
#include "engine/fetcher.h"
#include "engine/gap_tracker.h"
#include "engine/lane.h"
#include "engine/status_board.h"
#include "plugins/catalog.h"
#include "plugins/plugin.h"
#include "shotgrid/event_reader.h"
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
  // Reloads the one plugin with this key whether it changed or not; returns the current set.
  virtual std::vector<PluginSlot> reload(const std::string& key) {
    (void)key;
    return refresh(true);
  }
};

// Where a plugin without a checkpoint starts, when something other than the site's newest event says
// so (the original daemon's state file): its cursor and the words for the log line. nullopt: after the
// newest event of the site, as the original's first start.
struct StartPosition {
  std::int64_t cursor = 0;
  std::string origin;  // "from the original daemon's state file"
};
using StartPositionPolicy = std::function<std::optional<StartPosition>(const plugins::PluginId&)>;

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
  std::function<shotgrid::EventReaderPtr()> makeReader;  // with the daemon's own credentials
  PluginSource& plugins;
  std::function<void(const TimingRecord&)> timing;  // empty: no timing log
  core::MetricsPtr metrics = core::discardMetrics();
  StartPositionPolicy startPosition;  // empty: the site's newest event
};

struct EngineStatus {
  FetcherStatus fetcher;
  std::optional<core::TimePoint> headCreatedAt;  // the newest event's created_at, for lag in seconds
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

  // An operator's request for one plugin: checked here (Error::code is a ControlError), applied by its
  // lane between two events.
  Expected<void> control(const ControlRequest& request);
  // Polls the site now (admin "poll now", webhooks).
  void pollNow();

  // Each plugin's status; one in a lane's thread that runs a callback past its callback_timeout is `stuck`.
  EngineStatus status() const;
  // Logs a WARNING, once per plugin and event, for a callback in a lane's thread past its
  // callback_timeout: a thread cannot be stopped safely, so such a plugin is reported, not ended. Cheap
  // when nothing is stuck; the daemon's main loop calls it a few times a second.
  void reportStuck();
  // The first event id a plugin without a checkpoint starts after.
  std::int64_t head() const { return window_.head(); }

 private:
  struct Placement {
    std::shared_ptr<Lane> lane;
    std::uint64_t generation = 0;
    std::string reloadError;
    plugins::PluginId id;
  };
  FailurePolicy policyFor(const std::string& pluginName) const;
  Progress startingProgress(const plugins::PluginId& id);
  std::optional<store::PluginStatus> persistedStatus(const plugins::PluginId& id);
  LaneContext laneContext();
  void applySlots(std::vector<PluginSlot> slots);
  void reapRetired();
  // The placement a control request names, by key or by unique name; nullopt with the error otherwise.
  Expected<Placement> placementFor(const std::string& plugin) const;

  EngineOptions options_;
  EngineDeps deps_;
  core::LoggerPtr log_;
  GapTracker gaps_;
  EventWindow window_;
  StatusBoard board_;
  std::unique_ptr<Fetcher> fetcher_;
  shotgrid::EventReaderPtr probe_;  // the plugin-refresh thread's own connection
  core::CounterPtr reloads_;

  std::mutex refreshMutex_;  // one refresh at a time; never needed by the fetcher, the lanes or status()
  mutable std::mutex lanesMutex_;  // placements_ and the lane lists; held for bookkeeping only
  std::vector<std::shared_ptr<Lane>> lanes_;
  std::vector<std::shared_ptr<Lane>> retired_;            // stopping, joined once they finished
  std::map<std::string, Placement> placements_;           // plugin key -> its lane
  std::map<std::string, std::uint64_t> loggedLoadError_;  // key -> generation whose load error was logged
  std::chrono::steady_clock::time_point lastHeadSave_{};
  std::mutex stuckMutex_;
  std::map<std::string, std::int64_t> stuckWarned_;  // plugin key -> the event it was last reported stuck on
  bool started_ = false;
};

}  // namespace sgeventd::engine
