#include "engine/lane_source.h"

#include <fmt/format.h>

#include "engine/reply_check.h"

namespace sgeventd::engine {
std::vector<core::EventPtr> shareEvents(std::vector<core::Event>&& events) {
  // One allocation owns the whole page and each event's pointer shares it (shared_ptr's aliasing
  // constructor): an allocation, a move and a free per event were a tenth of a catch-up's CPU. A page goes
  // when the last of its events does; the window drops events in id order, so pages go in order too.
  auto page = std::make_shared<const std::vector<core::Event>>(std::move(events));
  std::vector<core::EventPtr> out;
  out.reserve(page->size());
  for (const core::Event& event : *page) {
    out.emplace_back(page, &event);
  }
  return out;
}

void SiteMetrics::request(const std::string& purpose) {
  metrics_
      ->counter("sgeventd_site_requests_total", "Requests sent to the site, by purpose.",
                {{"purpose", purpose}})
      ->inc();
}

void SiteMetrics::error(const shotgrid::ClientError& error) {
  metrics_
      ->counter("sgeventd_site_errors_total", "Failed requests to the site, by kind of failure.",
                {{"kind", std::string(shotgrid::errorKindName(error.kind))}})
      ->inc();
}

LaneSource::LaneSource(EventWindow& window, std::function<shotgrid::EventReaderPtr()> makeReader,
                       int batchSize, std::size_t rangeReads, core::LoggerPtr log, core::ClockPtr clock,
                       std::string laneName, core::MetricsPtr metrics)
    : window_(window),
      makeReader_(std::move(makeReader)),
      batchSize_(batchSize),
      rangeReads_(rangeReads),
      log_(std::move(log)),
      clock_(std::move(clock)),
      laneName_(std::move(laneName)),
      metrics_(std::move(metrics)),
      site_(*metrics_) {}

shotgrid::EventReader& LaneSource::reader() {
  if (!reader_) {
    reader_ = makeReader_();
  }
  return *reader_;
}

void LaneSource::warn(const std::string& what, const shotgrid::ClientError& error) {
  site_.error(error);
  const auto now = clock_->steadyNow();
  if (now - lastWarning_ > std::chrono::seconds(60)) {
    lastWarning_ = now;
    log_->warning(fmt::format("Lane {} could not read {}: {}; retrying.", laneName_, what, error.describe()));
  }
}

LaneSource::Batch LaneSource::next(std::int64_t position) {
  const auto max = static_cast<std::size_t>(batchSize_);
  auto slice = window_.after(position, max);
  if (slice.covered) {
    if (ahead_) {
      ahead_->drop();
    }
    return {std::move(slice.events), false};
  }
  // Behind the window: read this lane's own range instead of holding the fetcher back.
  shotgrid::EventQuery query;
  query.after = position;
  query.before = slice.floor;
  query.limit = batchSize_;
  if (rangeReads_ > 1 && (ahead_ || makeReadAhead())) {
    return nextRound(query);
  }
  site_.request("range");
  auto result = reader().readEvents(query);
  rejectBroken(query, result);
  if (!result) {
    warn(fmt::format("events after {}", position), result.error());
    return {{}, true};
  }
  if (result->empty()) {
    // Nothing committed between here and the window: continue from the window itself.
    return {window_.after(slice.floor - 1, max).events, false};
  }
  return {shareEvents(std::move(*result)), false};
}

bool LaneSource::makeReadAhead() {
  std::vector<shotgrid::EventReaderPtr> readers;
  for (std::size_t i = 0; i < rangeReads_; ++i) {
    auto reader = makeReader_();
    if (!reader) {
      rangeReads_ = 1;  // no connections to be had: one read at a time
      return false;
    }
    readers.push_back(std::move(reader));
  }
  ahead_ = std::make_unique<RangeReadAhead>(std::move(readers));
  return true;
}

void LaneSource::startRound(const shotgrid::EventQuery& range) {
  for (std::size_t i = 0; i < spanQueries(range, ahead_->width()).size(); ++i) {
    site_.request("range");
  }
  ahead_->start(range);
}

LaneSource::Batch LaneSource::nextRound(const shotgrid::EventQuery& query) {
  const std::string what = fmt::format("events after {}", query.after);
  auto taken = ahead_->take(query);
  if (taken && taken->reply && taken->reply->empty() && *taken->range.before < *query.before) {
    taken.reset();  // nothing below the floor the round had: read up to today's
  }
  if (taken && !taken->reply) {
    warn(what, *taken->failure);  // the round read ahead failed: read it again now
    taken.reset();
  }
  if (!taken) {
    startRound(query);
    taken = ahead_->take(query);
  }
  if (taken->failure) {
    warn(what, *taken->failure);
  }
  if (!taken->reply) {
    return {{}, true};
  }
  auto& rows = *taken->reply;
  if (rows.empty()) {
    // Nothing committed between here and the window: continue from the window itself.
    return {window_.after(*query.before - 1, static_cast<std::size_t>(batchSize_)).events, false};
  }
  if (taken->more) {
    // The next round is read while the lane runs this one.
    shotgrid::EventQuery following = query;
    following.after = rows.back().id;
    startRound(following);
  }
  return {shareEvents(std::move(rows)), false};
}

std::vector<core::EventPtr> LaneSource::late(std::int64_t first, std::int64_t last) const {
  return window_.lateIn(first, last);
}

shotgrid::Result<std::vector<core::EventPtr>> LaneSource::readIds(const std::vector<GapRange>& ranges) {
  std::vector<core::EventPtr> out;
  constexpr std::size_t kRangesPerQuery = 100;
  for (std::size_t start = 0; start < ranges.size(); start += kRangesPerQuery) {
    shotgrid::EventQuery query;
    query.after = ranges[start].first - 1;
    query.limit = batchSize_;
    for (std::size_t i = start; i < std::min(ranges.size(), start + kRangesPerQuery); ++i) {
      query.only.emplace_back(ranges[i].first, ranges[i].last);
    }
    for (;;) {
      site_.request("backlog");
      auto found = reader().readEvents(query);
      rejectBroken(query, found);
      if (!found) {
        warn("its backlog ids", found.error());
        return tl::unexpected(found.error());
      }
      const bool full = static_cast<int>(found->size()) >= batchSize_;
      if (!found->empty()) {
        query.after = found->back().id;
      }
      auto shared = shareEvents(std::move(*found));
      out.insert(out.end(), shared.begin(), shared.end());
      if (!full) {
        break;
      }
    }
  }
  return out;
}

}  // namespace sgeventd::engine
