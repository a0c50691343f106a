#pragma once
// A plugin version that runs in a worker process: the engine sees a Plugin like any other; invoke()
// crosses the socket, and a worker's death or a deadline shows as a Crashed or TimedOut result.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "plugins/plugin.h"
#include "worker/worker_process.h"

namespace sgeventd::worker {

class ProcessPlugin final : public plugins::Plugin {
 public:
  ProcessPlugin(plugins::PluginId id, std::shared_ptr<WorkerProcess> worker, LoadedVersion version);
  ~ProcessPlugin() override;  // the worker forgets the version (and a worker of its own stops)

  const plugins::PluginId& id() const override { return id_; }
  plugins::PluginKind kind() const override;
  const std::vector<plugins::CallbackInfo>& callbacks() const override { return version_.callbacks; }
  plugins::InvokeResult invoke(std::size_t index, const core::Event& event,
                               plugins::Deadline deadline) override;
  std::optional<plugins::EmailSetting> emails() const override { return version_.emails; }
  void offer(const std::vector<core::EventPtr>& upcoming) override;
  void withdrawOffer() override;
  bool ranAhead() override;

  const std::shared_ptr<WorkerProcess>& worker() const { return worker_; }

 private:
  // A run's worth of events: a round trip per this many events, and at most this many run ahead of
  // what the lane committed (the events in flight at a daemon crash).
  static constexpr std::size_t kRunLength = 64;

  void sendRun();
  void endRun();

  plugins::PluginId id_;
  std::shared_ptr<WorkerProcess> worker_;
  LoadedVersion version_;
  // Touched by the lane's thread only.
  std::deque<core::EventPtr> offered_;  // offered, not sent yet
  std::int64_t lastSent_ = 0;           // the newest event id sent in a run
  std::int64_t lastTaken_ = 0;          // the event of the newest result the lane took
  // callback_timeout as the lane last gave it, for the wait in ranAhead().
  std::optional<std::chrono::steady_clock::duration> timeout_;
  std::uint64_t run_ = 0;                         // the run whose results invoke() takes; 0: none
  std::optional<WorkerProcess::RunItem> peeked_;  // a result ahead of what the lane asked for
  bool cancelled_ = false;                        // the run was asked to stop
};

}  // namespace sgeventd::worker
