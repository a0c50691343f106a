#pragma once
// One per site: polls the log for ids above the head, opens gaps for skipped ids, re-checks exactly the
// open gaps (never the events after them: original issue #32), expires them, and feeds the EventWindow.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "engine/event_window.h"
#include "engine/gap_tracker.h"
#include "shotgrid/client.h"

namespace sgeventd::engine {

struct FetcherOptions {
  std::chrono::milliseconds fetchInterval{5000};
  int batchSize = 500;
  int maxConnRetries = 5;
  std::chrono::seconds connRetrySleep{60};
  core::BackoffPolicy failureBackoff{std::chrono::milliseconds(500), std::chrono::milliseconds(10000)};
  std::size_t lead = 10000;        // events fetched ahead of the fastest lane before the fetcher waits
  std::size_t gapsPerQuery = 100;  // ranges named in one re-check query
};

// Positions the fetcher needs from the lanes: the fastest (to bound how far ahead it reads) and the
// slowest in-window reader (to forget what nobody needs).
struct LanePositions {
  std::int64_t fastest = 0;
  std::int64_t slowest = 0;
  bool any = false;
};

struct FetcherStatus {
  std::int64_t head = 0;
  int consecutiveFailures = 0;
  std::string lastError;
  std::size_t openGapIds = 0;
};

class Fetcher {
 public:
  Fetcher(FetcherOptions options, std::unique_ptr<shotgrid::Client> client, EventWindow& window,
          GapTracker& gaps, core::LoggerPtr log, core::ClockPtr clock, core::Shutdown& shutdown);
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // The newest id in the log (0 for an empty log), retried like every other query until it answers or
  // a stop is requested (then nullopt). `client` defaults to the fetcher's own; another thread passes its
  // own.
  std::optional<std::int64_t> newestEventId(shotgrid::Client* client = nullptr);

  void setLanePositions(std::function<LanePositions()> positions) { positions_ = std::move(positions); }
  // Called with the head after each advance (the engine persists it).
  void setHeadListener(std::function<void(std::int64_t)> listener) { headListener_ = std::move(listener); }

  void start();
  void stop();  // returns once the thread has exited
  FetcherStatus status() const;

  // One iteration, for tests that step the fetcher by hand: polls the head once (returns true when the
  // page was full), re-checks gaps, expires gaps.
  bool pollHeadOnce();
  void recheckGapsOnce();
  void expireGapsOnce();

 private:
  void run();
  // Runs a query; on failure logs as the original does and waits; returns nullopt then.
  std::optional<std::vector<core::Event>> query(const shotgrid::Json& filters, int limit);
  void onFailure(const shotgrid::ClientError& error);
  void onSuccess();
  // Sleeps up to `d`, returning early on a stop or shutdown request.
  void pause(std::chrono::steady_clock::duration d);
  bool stopped() const { return stopSignal_.requested() || shutdown_.requested(); }

  FetcherOptions options_;
  std::unique_ptr<shotgrid::Client> client_;
  EventWindow& window_;
  GapTracker& gaps_;
  core::LoggerPtr log_;
  core::ClockPtr clock_;
  core::Shutdown& shutdown_;
  std::function<LanePositions()> positions_;
  std::function<void(std::int64_t)> headListener_;
  core::Backoff backoff_;

  core::Shutdown stopSignal_;  // wakes this fetcher's pauses on stop()
  std::thread thread_;
  std::chrono::steady_clock::time_point lastRecheck_{};

  mutable std::mutex statusMutex_;
  int consecutiveFailures_ = 0;
  std::string lastError_;
};

}  // namespace sgeventd::engine
