#pragma once
// A lane: one thread delivering events in id order to its members (one plugin normally; every plugin in
// the original's order with strict_order). Its jobs are separate pieces: the source (window or own reads),
// the dispatcher (callbacks, resume point, failure policy) and the checkpointer (the one writer of its
// checkpoints). Membership changes and operator requests are posted to it and applied between events.
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

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "core/waker.h"
#include "engine/checkpointer.h"
#include "engine/dispatcher.h"
#include "engine/event_window.h"
#include "engine/gap_tracker.h"
#include "engine/lane_source.h"
#include "engine/member.h"
#include "engine/status_board.h"
#include "plugins/plugin.h"
#include "store/state_store.h"

namespace sgeventd::engine {

struct LaneOptions {
  int batchSize = 500;
  std::chrono::milliseconds idleWait{250};
  // Events that ran no callback are committed in groups: re-running them after a crash has no effect.
  std::chrono::milliseconds groupCommitEvery{200};
  // Below the window, id spans read at once, and the next round read while the lane runs this one
  // (fetch_concurrency); 1 = one read at a time.
  std::size_t rangeReads = 1;
};

struct LaneContext {
  EventWindow& window;
  GapTracker& gaps;
  store::StateStore& store;
  core::LogFactoryPtr logs;
  core::ClockPtr clock;
  core::Shutdown& shutdown;
  // A connection with the daemon's credentials, for lanes that read below the window.
  std::function<shotgrid::EventReaderPtr()> makeReader;
  std::function<void(const TimingRecord&)> timing;  // empty when the timing log is off
  StatusBoard& board;
  core::MetricsPtr metrics;
};

class Lane {
 public:
  Lane(std::string name, LaneOptions options, LaneContext context);
  ~Lane();
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  // Changes take effect between two events. `plugin` is null when its load failed (`loadError` says why).
  // `persisted` is the plugin's stored status: a deactivation or an operator's disable outlives a restart.
  void addMember(plugins::PluginId id, plugins::PluginPtr plugin, std::string loadError, Progress progress,
                 FailurePolicy policy, std::size_t position,
                 std::optional<store::PluginStatus> persisted = {});
  // A new version from disk (or a load failure of one): a deactivated plugin is active again and resumes
  // at the callback that failed.
  void replacePlugin(const std::string& key, plugins::PluginPtr plugin, std::string loadError);
  // A reload that failed while the previous version keeps running (empty: cleared).
  void setReloadError(const std::string& key, std::string error);
  void removeMember(const std::string& key);

  // Operator requests (see control.h), checked by the engine first.
  void enable(const std::string& key);
  void disable(const std::string& key);
  void setCursor(const std::string& key, std::int64_t cursor);
  void replay(const std::string& key, std::string callback, core::EventPtr event);

  void start();
  void requestStop();  // returns at once; the lane finishes the event in flight and commits
  void stop();         // requestStop() and join
  // The lane leaves the engine (its plugin was removed) without waiting for a callback that may never
  // return: it stops publishing, and the engine joins it once it has finished.
  void retire();
  bool finished() const { return finished_.load(); }

  // One pass of the lane's loop without waiting, for tests that step a lane by hand. `wakeAt`: when a
  // pending retry is due.
  struct StepResult {
    bool worked = false;
    std::optional<std::chrono::steady_clock::time_point> wakeAt;
  };
  StepResult step();

  const std::string& name() const { return name_; }

 private:
  void post(std::function<void()> update);
  void run();
  bool stopped() const { return stopping_.load() || context_.shutdown.requested(); }
  bool pause(std::chrono::milliseconds d);
  Member* find(const std::string& key);
  void applyUpdates();
  // Run-ahead for plugins in worker processes (Plugin::offer): the batch offered to each member, and
  // at a stop or a request, no more of it; true while a member still owes results of what ran.
  void offerBatch(const std::vector<core::EventPtr>& events);
  bool finishRunAhead();
  void reactivateDue();
  bool retryDue(StepResult& result);
  bool settleBacklogs();
  bool processLate();
  bool processNext();
  // Delivers one event to one member and records what happened; false when the lane must not go on with
  // further events now (a retry waits, or a stop came).
  bool deliver(std::size_t index, const core::EventPtr& event);
  void persistState(Member& m, store::PluginState state);
  void publishStatus();
  static constexpr std::chrono::milliseconds kStatusEvery{20};
  std::chrono::steady_clock::time_point lastPublished_{};

  std::string name_;
  LaneOptions options_;
  LaneContext context_;
  core::LoggerPtr log_;
  core::Waker waker_;
  core::Shutdown::Subscription shutdownSubscription_;
  LaneActivity activity_;
  LaneSource source_;
  Dispatcher dispatcher_;
  Checkpointer checkpointer_;

  std::vector<std::unique_ptr<Member>> members_;  // lane thread only

  std::mutex updatesMutex_;
  std::vector<std::function<void()>> updates_;
  std::atomic<bool> updatesPosted_{false};  // read between the events of a batch without the lock

  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> retired_{false};
  std::thread thread_;
};

}  // namespace sgeventd::engine
