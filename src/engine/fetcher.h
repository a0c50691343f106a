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
#include "core/metrics.h"
#include "core/shutdown.h"
#include "core/waker.h"
#include "engine/event_window.h"
#include "engine/gap_tracker.h"
#include "engine/lane_source.h"
#include "engine/parallel_reads.h"
#include "engine/status_board.h"
#include "shotgrid/event_reader.h"

namespace sgeventd::engine {

struct FetcherOptions {
  std::chrono::milliseconds fetchInterval{5000};
  int batchSize = 500;
  int maxConnRetries = 5;
  std::chrono::seconds connRetrySleep{60};
  core::BackoffPolicy failureBackoff{std::chrono::milliseconds(500), std::chrono::milliseconds(10000)};
  std::size_t lead = 10000;  // queue_size: events read ahead of the fastest lane before the fetcher waits
  std::size_t gapsPerQuery = 100;  // ranges named in one re-check query
  // fetch_concurrency: id ranges read at once while catching up (1 = one read at a time). Once a read
  // comes back short the fetcher is caught up and polls the head with one read per fetch_interval.
  int concurrency = 1;
};

struct FetcherStatus {
  std::int64_t head = 0;
  int consecutiveFailures = 0;
  std::string lastError;
  std::size_t openGapIds = 0;
  std::optional<core::TimePoint> lastContact;  // when the site last answered
  int consecutiveProtocolErrors = 0;           // replies that broke their query in a row (readiness)
};

class Fetcher {
 public:
  Fetcher(FetcherOptions options, shotgrid::EventReaderPtr reader, EventWindow& window, GapTracker& gaps,
          core::LoggerPtr log, core::ClockPtr clock, core::Shutdown& shutdown,
          core::MetricsPtr metrics = core::discardMetrics());
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // The newest id in the log (0 for an empty log), retried like every other query until it answers or
  // a stop is requested (then nullopt). `reader` defaults to the fetcher's own; another thread passes its
  // own.
  std::optional<std::int64_t> newestEventId(shotgrid::EventReader* reader = nullptr);

  void setLanePositions(std::function<LanePositions()> positions) { positions_ = std::move(positions); }
  // Called with the head after each advance (the engine persists it).
  void setHeadListener(std::function<void(std::int64_t)> listener) { headListener_ = std::move(listener); }

  // The readers (each with its own connection) that catch-up reads use beside the fetcher's own;
  // options.concurrency - 1 of them. Call before start().
  void setParallelReaders(std::vector<shotgrid::EventReaderPtr> readers);

  void start();
  void stop();  // returns once the thread has exited
  // Polls the site now instead of at the end of the current pause (admin "poll now", webhooks).
  void poke() { waker_.poke(); }
  FetcherStatus status() const;

  // One iteration, for tests that step the fetcher by hand: polls the head once (returns true when the
  // page was full), re-checks gaps, expires gaps.
  bool pollHeadOnce();
  void recheckGapsOnce();
  void expireGapsOnce();
  // Everything one pass of the loop does; returns true when it should come back at once (a full page).
  bool stepOnce();

 private:
  void run();
  // Catch-up: several id ranges above `head` at once, applied in id order up to the first that failed.
  bool pollHeadParallel(std::int64_t head);
  // Opens gaps for the ids the events skip and hands them to the window; `head` is the previous head.
  void applyHead(std::int64_t head, std::vector<core::Event> events);
  std::optional<std::vector<core::Event>> query(const shotgrid::EventQuery& query,
                                                const std::string& purpose);
  void onFailure(const shotgrid::ClientError& error);
  void onSuccess();
  // A reply that does not answer its query: logged once per burst, not applied, asked again later.
  void onProtocolError(const std::string& purpose, const std::string& what);
  // Sleeps up to `d`, returning early on a poke, a stop or a shutdown request.
  void pause(std::chrono::steady_clock::duration d);
  bool stopped() const { return stopping_.load() || shutdown_.requested(); }

  FetcherOptions options_;
  shotgrid::EventReaderPtr reader_;
  EventWindow& window_;
  GapTracker& gaps_;
  core::LoggerPtr log_;
  core::ClockPtr clock_;
  core::Shutdown& shutdown_;
  core::MetricsPtr metrics_;
  SiteMetrics site_;
  core::CounterPtr fetched_;
  core::GaugePtr openGaps_;
  core::GaugePtr headGauge_;
  core::GaugePtr windowGauge_;
  std::function<LanePositions()> positions_;
  std::function<void(std::int64_t)> headListener_;
  core::Backoff backoff_;

  core::Waker waker_;
  core::Shutdown::Subscription shutdownSubscription_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::optional<std::chrono::steady_clock::time_point> lastRecheck_;
  std::unique_ptr<ParallelReads> parallel_;
  bool catchingUp_ = false;  // the last head read came back full: more is waiting

  mutable std::mutex statusMutex_;
  int consecutiveFailures_ = 0;
  int consecutiveProtocolErrors_ = 0;
  std::string lastError_;
  std::optional<core::TimePoint> lastContact_;
};

}  // namespace sgeventd::engine
