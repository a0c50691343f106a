#pragma once
// Where a lane's events come from: the shared window while it keeps up, its own range reads from the site
// (on connections of its own, a round of parallel reads ahead) once it fell below the window, and the late
// events the fetcher handed over.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "engine/event_window.h"
#include "engine/range_read_ahead.h"
#include "engine/range_set.h"
#include "shotgrid/event_reader.h"

namespace sgeventd::engine {

// Requests to the site and their failures, by who made them ("head", "gaps", "range", ...).
struct SiteMetrics {
  explicit SiteMetrics(core::Metrics& metrics) : metrics_(&metrics) {}
  void request(const std::string& purpose);
  void error(const shotgrid::ClientError& error);

 private:
  core::Metrics* metrics_;
};

// Events decoded from a reply, made shareable between the window and the lanes.
std::vector<core::EventPtr> shareEvents(std::vector<core::Event>&& events);

class LaneSource {
 public:
  // `rangeReads`: below the window, read rounds of that many id spans at once, the next round while the
  // lane runs this one (range_read_ahead.h); 1 (or 0) = one read at a time.
  LaneSource(EventWindow& window, std::function<shotgrid::EventReaderPtr()> makeReader, int batchSize,
             std::size_t rangeReads, core::LoggerPtr log, core::ClockPtr clock, std::string laneName,
             core::MetricsPtr metrics);

  struct Batch {
    std::vector<core::EventPtr> events;  // ascending, id > position
    bool failed = false;                 // the site did not answer: try again later
  };
  // The next events above `position`.
  Batch next(std::int64_t position);
  // Late events the fetcher found in [first, last].
  std::vector<core::EventPtr> late(std::int64_t first, std::int64_t last) const;
  // Reads exactly the ids of `ranges` from the site (backlog ids the fetcher no longer watches).
  shotgrid::Result<std::vector<core::EventPtr>> readIds(const std::vector<GapRange>& ranges);

 private:
  shotgrid::EventReader& reader();
  void warn(const std::string& what, const shotgrid::ClientError& error);
  bool makeReadAhead();
  void startRound(const shotgrid::EventQuery& range);
  // The events of `query` (up to the window's floor) from a round of parallel reads: the one read ahead
  // when it answers the query, else one read now.
  Batch nextRound(const shotgrid::EventQuery& query);

  EventWindow& window_;
  std::function<shotgrid::EventReaderPtr()> makeReader_;
  int batchSize_;
  std::size_t rangeReads_;
  core::LoggerPtr log_;
  core::ClockPtr clock_;
  std::string laneName_;
  core::MetricsPtr metrics_;
  SiteMetrics site_;
  shotgrid::EventReaderPtr reader_;
  std::unique_ptr<RangeReadAhead> ahead_;  // made at the first read below the window
  std::chrono::steady_clock::time_point lastWarning_{};
};

}  // namespace sgeventd::engine
