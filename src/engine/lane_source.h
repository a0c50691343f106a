#pragma once
// Where a lane's events come from: the shared window while it keeps up, its own range reads from the site
// (on its own connection, with the next batch read ahead) once it fell below the window, and the late
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
  // `readAhead`: while the lane is below the window, read its next batch while it runs this one
  // (range_read_ahead.h).
  LaneSource(EventWindow& window, std::function<shotgrid::EventReaderPtr()> makeReader, int batchSize,
             bool readAhead, core::LoggerPtr log, core::ClockPtr clock, std::string laneName,
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
  // The reply to `query`: read ahead already when that read answers it, else read now.
  shotgrid::Result<std::vector<core::Event>> readRange(const shotgrid::EventQuery& query);
  void readNextAhead(const shotgrid::EventQuery& query, std::int64_t lastId);

  EventWindow& window_;
  std::function<shotgrid::EventReaderPtr()> makeReader_;
  int batchSize_;
  bool readAhead_;
  core::LoggerPtr log_;
  core::ClockPtr clock_;
  std::string laneName_;
  core::MetricsPtr metrics_;
  SiteMetrics site_;
  shotgrid::EventReaderPtr reader_;
  std::unique_ptr<RangeReadAhead> ahead_;  // made at the first read ahead
  std::chrono::steady_clock::time_point lastWarning_{};
};

}  // namespace sgeventd::engine
