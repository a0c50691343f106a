#pragma once
// A lane: one worker thread delivering events, in id order, to its members (one plugin normally; every
// plugin in the original's order with strict_order). A slow or failing plugin only delays its own lane.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "engine/event_window.h"
#include "engine/gap_tracker.h"
#include "engine/progress.h"
#include "plugins/plugin.h"
#include "shotgrid/client.h"
#include "store/state_store.h"

namespace sgeventd::engine {

// How a plugin's failures are handled (daemon-wide values, or its [plugin:NAME] overrides).
struct FailurePolicy {
  int attempts = 3;  // per callback and event; 1 = no retry
  core::BackoffPolicy backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)};
  std::chrono::seconds reactivateAfter{0};  // 0 = only a change on disk or SIGHUP reactivates
  std::optional<bool> stopOnError;          // overrides the callbacks' own registration value
};

struct TimingRecord {
  std::int64_t eventId = 0;
  std::optional<TimePoint> createdAt;
  std::string callbackLogger;  // "plugin.<plugin>.<callback>"
  TimePoint start;
  TimePoint end;
  bool error = false;
};

struct LaneOptions {
  int batchSize = 500;
  std::chrono::milliseconds idleWait{250};
  // Events that ran no callback are committed in groups: re-running them after a crash has no effect.
  std::chrono::milliseconds groupCommitEvery{200};
};

struct LaneContext {
  EventWindow& window;
  GapTracker& gaps;
  store::StateStore& store;
  core::LogFactoryPtr logs;
  core::ClockPtr clock;
  core::Shutdown& shutdown;
  // A connection with the daemon's credentials, for lanes that read below the window.
  std::function<std::unique_ptr<shotgrid::Client>()> makeReader;
  std::function<void(const TimingRecord&)> timing;  // empty when the timing log is off
};

struct MemberStatus {
  plugins::PluginId id;
  std::int64_t cursor = 0;
  std::vector<GapRange> backlog;
  bool loaded = false;
  bool active = false;
  std::string reason;
  std::uint64_t processed = 0;
  std::uint64_t failures = 0;
};

class Lane {
 public:
  Lane(std::string name, LaneOptions options, LaneContext context);
  ~Lane();
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  // Changes take effect between two events. `plugin` is null when its load failed (`loadError` says why).
  void addMember(plugins::PluginId id, plugins::PluginPtr plugin, std::string loadError, Progress progress,
                 FailurePolicy policy, std::size_t position);
  void replacePlugin(const std::string& key, plugins::PluginPtr plugin, std::string loadError);
  void removeMember(const std::string& key);

  void start();
  void requestStop();  // returns at once; the lane finishes the event in flight and commits
  void stop();         // requestStop() and join

  const std::string& name() const { return name_; }
  std::vector<MemberStatus> status() const;
  // Lowest and highest cursor over active members; nullopt when none is active.
  std::optional<std::pair<std::int64_t, std::int64_t>> positions() const;

 private:
  struct Member;
  enum class Outcome { Done, Deactivated, Interrupted };

  void run();
  bool stopped() const { return stopSignal_.requested() || context_.shutdown.requested(); }
  void pause(std::chrono::steady_clock::duration d);
  void applyUpdates();
  void reactivateDue();
  void expireBacklogs();
  bool processLate();
  bool processNext();
  std::vector<core::EventPtr> readBelowWindow(std::int64_t after, std::int64_t floor, bool& failed);
  Outcome processFor(Member& member, const core::Event& event);
  void deactivate(Member& member, const core::Event& event, std::size_t callback, int attempts,
                  const std::string& error);
  void commit(bool force);
  void publishStatus();

  std::string name_;
  LaneOptions options_;
  LaneContext context_;
  core::LoggerPtr log_;

  std::vector<std::unique_ptr<Member>> members_;  // lane thread only
  std::unique_ptr<shotgrid::Client> reader_;
  std::chrono::steady_clock::time_point lastCommit_{};
  std::chrono::steady_clock::time_point lastReadWarning_{};

  std::mutex updatesMutex_;
  std::vector<std::function<void()>> updates_;

  mutable std::mutex statusMutex_;
  std::vector<MemberStatus> status_;
  std::optional<std::pair<std::int64_t, std::int64_t>> positions_;

  core::Shutdown stopSignal_;
  std::thread thread_;
};

}  // namespace sgeventd::engine
