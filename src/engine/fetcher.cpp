#include "engine/fetcher.h"

#include <fmt/format.h>

#include <iterator>
#include <limits>

#include "engine/reply_check.h"

namespace sgeventd::engine {

Fetcher::Fetcher(FetcherOptions options, shotgrid::EventReaderPtr reader, EventWindow& window,
                 GapTracker& gaps, core::LoggerPtr log, core::ClockPtr clock, core::Shutdown& shutdown,
                 core::MetricsPtr metrics)
    : options_(options),
      reader_(std::move(reader)),
      window_(window),
      gaps_(gaps),
      log_(std::move(log)),
      clock_(std::move(clock)),
      shutdown_(shutdown),
      metrics_(std::move(metrics)),
      site_(*metrics_),
      fetched_(metrics_->counter("sgeventd_events_fetched_total", "Events read from the site's event log.")),
      openGaps_(
          metrics_->gauge("sgeventd_open_gap_ids", "Skipped ids still watched in case they commit late.")),
      headGauge_(metrics_->gauge("sgeventd_head_event_id", "The newest event id read from the site.")),
      windowGauge_(
          metrics_->gauge("sgeventd_queue_depth_events", "Events read ahead and held for the lanes.")),
      backoff_(options.failureBackoff),
      shutdownSubscription_(shutdown.subscribe(waker_)) {}

Fetcher::~Fetcher() { stop(); }

void Fetcher::pause(std::chrono::steady_clock::duration d) {
  if (!stopped()) {
    waker_.waitFor(d);
  }
}

void Fetcher::onFailure(const shotgrid::ClientError& error) {
  site_.error(error);
  int failures = 0;
  {
    std::lock_guard lock(statusMutex_);
    failures = ++consecutiveFailures_;
    lastError_ = error.describe();
  }
  const int every = std::max(options_.maxConnRetries, 1);
  const int attempt = (failures - 1) % every + 1;
  const std::string line =
      fmt::format("Unable to connect to SG (attempt {} of {}): {}", attempt, every, error.describe());
  if (attempt == every) {
    // As the original: an ERROR (which may be e-mailed) and a long pause every max_conn_retries failures.
    log_->error(line);
    pause(options_.connRetrySleep);
  } else {
    // Unlike the original, never an immediate retry: a growing pause keeps a dead site from a tight loop.
    log_->warning(line);
    pause(backoff_.delay(attempt));
  }
}

void Fetcher::onSuccess() {
  std::lock_guard lock(statusMutex_);
  if (consecutiveProtocolErrors_ > 0) {
    log_->info(fmt::format("The site's replies match their queries again, after {} that did not.",
                           consecutiveProtocolErrors_));
    consecutiveProtocolErrors_ = 0;
  }
  if (consecutiveFailures_ > 0) {
    log_->info(fmt::format("Connection to SG restored after {} failed attempt(s).", consecutiveFailures_));
  }
  consecutiveFailures_ = 0;
  lastError_.clear();
  lastContact_ = clock_->now();
}

std::optional<std::vector<core::Event>> Fetcher::query(const shotgrid::EventQuery& q,
                                                       const std::string& purpose) {
  site_.request(purpose);
  auto result = reader_->readEvents(q);
  if (!result) {
    onFailure(result.error());
    return std::nullopt;
  }
  if (auto checked = checkReply(q, *result); !checked) {
    onProtocolError(purpose, checked.error().message);
    return std::nullopt;
  }
  onSuccess();
  return std::move(*result);
}

void Fetcher::onProtocolError(const std::string& purpose, const std::string& what) {
  site_.error(shotgrid::ClientError{shotgrid::ErrorKind::Malformed, what});
  int count = 0;
  {
    std::lock_guard lock(statusMutex_);
    count = ++consecutiveProtocolErrors_;
    lastError_ = "reply breaks the query: " + what;
  }
  if (count == 1) {
    // Once per burst: the same broken reply comes back on every retry.
    log_->error(
        fmt::format("The site's reply to the {} query breaks it: {}. Nothing of it is applied; "
                    "asking again with a growing pause.",
                    purpose, what));
  }
  pause(backoff_.delay(std::min(count, 10)));
}

std::optional<std::int64_t> Fetcher::newestEventId(shotgrid::EventReader* reader) {
  shotgrid::EventReader& sg = reader ? *reader : *reader_;
  while (!stopped()) {
    site_.request("newest");
    auto newest = sg.newestEventId();
    if (!newest) {
      onFailure(newest.error());
      continue;
    }
    if (*newest < 0 || *newest > std::numeric_limits<std::int64_t>::max() / 2) {
      onProtocolError("newest event", fmt::format("event id {} is no id an event log reaches", *newest));
      continue;
    }
    onSuccess();
    return *newest;
  }
  return std::nullopt;
}

bool Fetcher::pollHeadOnce() {
  const std::int64_t head = window_.head();
  if (catchingUp_ && parallel_) {
    return pollHeadParallel(head);
  }
  shotgrid::EventQuery q;
  q.after = head;
  q.limit = options_.batchSize;
  auto events = query(q, "head");
  if (!events) {
    return false;
  }
  const bool full = static_cast<int>(events->size()) >= options_.batchSize;
  catchingUp_ = full;
  applyHead(head, std::move(*events));
  return full;
}

bool Fetcher::pollHeadParallel(std::int64_t head) {
  shotgrid::EventQuery range;
  range.after = head;
  range.limit = options_.batchSize;
  const auto queries = spanQueries(range, parallel_->width());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    site_.request("head");
  }
  auto replies = parallel_->read(*reader_, queries);
  std::vector<core::Event> events;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    auto& reply = replies[i];
    if (!reply) {
      onFailure(reply.error());
      applyHead(head, std::move(events));
      return false;
    }
    if (auto checked = checkReply(queries[i], *reply); !checked) {
      onProtocolError("head", checked.error().message);
      applyHead(head, std::move(events));
      return false;
    }
    events.insert(events.end(), std::make_move_iterator(reply->begin()),
                  std::make_move_iterator(reply->end()));
  }
  onSuccess();
  const bool full = static_cast<int>(replies.back()->size()) >= options_.batchSize;
  catchingUp_ = full;
  applyHead(head, std::move(events));
  return full;
}

void Fetcher::applyHead(std::int64_t head, std::vector<core::Event> events) {
  if (events.empty()) {
    return;
  }
  const auto now = clock_->now();
  std::int64_t previous = head;
  for (const auto& e : events) {
    if (e.id > previous + 1) {
      const auto open = gaps_.observe(previous + 1, e.id - 1, e.createdAt, now);
      if (!open.empty()) {
        log_->info(fmt::format("Events {} not committed yet; watching them for up to {} s.",
                               describeRanges(open), gaps_.timeout().count()));
      }
    }
    previous = e.id;
  }
  log_->debug(fmt::format("Got {} events: {} to {}.", events.size(), events.front().id, events.back().id));
  fetched_->inc(static_cast<double>(events.size()));
  const std::int64_t newHead = events.back().id;
  window_.append(shareEvents(std::move(events)), newHead);
  headGauge_->set(static_cast<double>(newHead));
  if (headListener_) {
    headListener_(newHead);
  }
}

void Fetcher::recheckGapsOnce() {
  const std::int64_t head = window_.head();
  std::vector<GapRange> open;
  for (const auto& r : gaps_.open()) {
    if (r.first <= head) {
      open.push_back(r);
    }
  }
  for (std::size_t start = 0; start < open.size() && !stopped(); start += options_.gapsPerQuery) {
    const std::size_t end = std::min(open.size(), start + options_.gapsPerQuery);
    shotgrid::EventQuery q;
    q.after = open[start].first - 1;
    q.limit = options_.batchSize;
    for (std::size_t i = start; i < end; ++i) {
      q.only.emplace_back(open[i].first, open[i].last);
    }
    for (;;) {
      auto found = query(q, "gaps");
      if (!found || found->empty()) {
        break;
      }
      const bool full = static_cast<int>(found->size()) >= options_.batchSize;
      q.after = found->back().id;
      std::vector<std::int64_t> ids;
      for (const auto& e : *found) {
        log_->info(fmt::format("Event {} committed late.", e.id));
        ids.push_back(e.id);
      }
      // The events go to the window before their gaps close, so a lane that sees a gap closed finds its
      // event there; and all at once, so a lane delivers one re-check's events in id order.
      window_.addLate(shareEvents(std::move(*found)), clock_->steadyNow());
      for (const auto id : ids) {
        gaps_.filled(id);
      }
      if (!full) {
        break;
      }
    }
  }
}

void Fetcher::expireGapsOnce() {
  for (const auto& r : gaps_.expire(clock_->now())) {
    log_->warning(expiredLine(r));
  }
  openGaps_->set(static_cast<double>(gaps_.openIdCount()));
}

bool Fetcher::stepOnce() {
  LanePositions lanes = positions_ ? positions_() : LanePositions{};
  bool full = false;
  // Id distance bounds the event count from above (gaps only make it smaller), and costs nothing.
  if (!lanes.any || window_.head() - lanes.fastest < static_cast<std::int64_t>(options_.lead)) {
    full = pollHeadOnce();
  } else {
    // The lanes are busy with what is here; come back soon rather than after an interval. Soon is 2 ms: a
    // lane drains a 1,000-event read-ahead in a few milliseconds, and 20 ms left it idle most of the time.
    full = true;
    pause(std::chrono::milliseconds(2));
  }
  const auto now = clock_->steadyNow();
  if (!lastRecheck_ || now - *lastRecheck_ >= options_.fetchInterval) {
    lastRecheck_ = now;
    recheckGapsOnce();
    expireGapsOnce();
    window_.pruneLate(now, 2 * gaps_.timeout());
  }
  window_.dropThrough(lanes.any ? lanes.slowest : window_.head());
  windowGauge_->set(static_cast<double>(window_.size()));
  return full;
}

void Fetcher::run() {
  while (!stopped()) {
    if (!stepOnce()) {
      pause(options_.fetchInterval);
    }
  }
}

void Fetcher::setParallelReaders(std::vector<shotgrid::EventReaderPtr> readers) {
  if (!readers.empty()) {
    parallel_ = std::make_unique<ParallelReads>(std::move(readers));
  }
}

void Fetcher::start() {
  thread_ = std::thread([this] { run(); });
}

void Fetcher::stop() {
  stopping_ = true;
  waker_.interrupt();
  if (thread_.joinable()) {
    thread_.join();
  }
}

FetcherStatus Fetcher::status() const {
  std::lock_guard lock(statusMutex_);
  FetcherStatus out{window_.head(), consecutiveFailures_, lastError_, gaps_.openIdCount(), lastContact_};
  out.consecutiveProtocolErrors = consecutiveProtocolErrors_;
  return out;
}

}  // namespace sgeventd::engine
