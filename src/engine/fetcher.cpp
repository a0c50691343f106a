#include "engine/fetcher.h"

#include <fmt/format.h>

namespace sgeventd::engine {
namespace {

using shotgrid::Json;

std::vector<core::EventPtr> share(std::vector<core::Event>&& events) {
  std::vector<core::EventPtr> out;
  out.reserve(events.size());
  for (auto& e : events) {
    out.push_back(std::make_shared<const core::Event>(std::move(e)));
  }
  return out;
}

}  // namespace

Fetcher::Fetcher(FetcherOptions options, std::unique_ptr<shotgrid::Client> client, EventWindow& window,
                 GapTracker& gaps, core::LoggerPtr log, core::ClockPtr clock, core::Shutdown& shutdown)
    : options_(options),
      client_(std::move(client)),
      window_(window),
      gaps_(gaps),
      log_(std::move(log)),
      clock_(std::move(clock)),
      shutdown_(shutdown),
      backoff_(options.failureBackoff) {}

Fetcher::~Fetcher() { stop(); }

void Fetcher::pause(std::chrono::steady_clock::duration d) { stopSignal_.pauseFor(d, shutdown_); }

void Fetcher::onFailure(const shotgrid::ClientError& error) {
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
  if (consecutiveFailures_ > 0) {
    log_->info(fmt::format("Connection to SG restored after {} failed attempt(s).", consecutiveFailures_));
  }
  consecutiveFailures_ = 0;
  lastError_.clear();
}

std::optional<std::vector<core::Event>> Fetcher::query(const Json& filters, int limit) {
  auto result = client_->findEvents(filters, limit);
  if (!result) {
    onFailure(result.error());
    return std::nullopt;
  }
  onSuccess();
  return std::move(*result);
}

std::optional<std::int64_t> Fetcher::newestEventId(shotgrid::Client* client) {
  shotgrid::Client& sg = client ? *client : *client_;
  while (!stopped()) {
    shotgrid::FindOptions opts;
    opts.order = Json::array({{{"field_name", "id"}, {"direction", "desc"}}});
    auto row = sg.findOne("EventLogEntry", Json::array(), {"id"}, opts);
    if (!row) {
      onFailure(row.error());
      continue;
    }
    onSuccess();
    if (row->is_object() && row->contains("id") && (*row)["id"].is_number_integer()) {
      return (*row)["id"].get<std::int64_t>();
    }
    return 0;  // an empty event log is a fine place to start
  }
  return std::nullopt;
}

bool Fetcher::pollHeadOnce() {
  const std::int64_t head = window_.head();
  auto events = query(Json::array({Json::array({"id", "greater_than", head})}), options_.batchSize);
  if (!events) {
    return false;
  }
  const bool full = static_cast<int>(events->size()) >= options_.batchSize;
  if (events->empty()) {
    return false;
  }
  const auto now = clock_->now();
  std::int64_t previous = head;
  for (const auto& e : *events) {
    if (e.id > previous + 1) {
      const auto open = gaps_.observe(previous + 1, e.id - 1, e.createdAt, now);
      if (!open.empty()) {
        log_->info(fmt::format("Events {} not committed yet; watching them for up to {} s.",
                               describeRanges(open), gaps_.timeout().count()));
      } else {
        log_->debug(fmt::format("Events {}-{} never happened - ignoring.", previous + 1, e.id - 1));
      }
    }
    previous = e.id;
  }
  log_->debug(fmt::format("Got {} events: {} to {}.", events->size(), events->front().id, events->back().id));
  const std::int64_t newHead = events->back().id;
  window_.append(share(std::move(*events)), newHead);
  if (headListener_) {
    headListener_(newHead);
  }
  return full;
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
    Json any = Json::array();
    for (std::size_t i = start; i < end; ++i) {
      if (open[i].first == open[i].last) {
        any.push_back(Json::array({"id", "is", open[i].first}));
      } else {
        any.push_back(Json::array({"id", "between", Json::array({open[i].first, open[i].last})}));
      }
    }
    // Only the gap ids are asked for, so the cost is the gaps' size, whatever came after them.
    std::int64_t above = open[start].first - 1;
    for (;;) {
      Json filters = Json::array(
          {Json::array({"id", "greater_than", above}), Json{{"filter_operator", "any"}, {"filters", any}}});
      auto found = query(filters, options_.batchSize);
      if (!found || found->empty()) {
        break;
      }
      const bool full = static_cast<int>(found->size()) >= options_.batchSize;
      const auto now = std::chrono::steady_clock::now();
      for (auto& e : *found) {
        above = e.id;
        gaps_.filled(e.id);
        log_->info(fmt::format("Event {} committed late; delivering it.", e.id));
        window_.addLate(std::make_shared<const core::Event>(std::move(e)), now);
      }
      if (!full) {
        break;
      }
    }
  }
}

void Fetcher::expireGapsOnce() {
  for (const auto& r : gaps_.expire(clock_->now())) {
    if (r.first == r.last) {
      log_->warning(fmt::format("Timeout elapsed on backlog event id {}.", r.first));
    } else {
      log_->warning(fmt::format("Timeout elapsed on backlog event ids {}-{} ({} ids never committed).",
                                r.first, r.last, r.last - r.first + 1));
    }
  }
}

void Fetcher::run() {
  while (!stopped()) {
    LanePositions lanes = positions_ ? positions_() : LanePositions{};
    bool full = false;
    // Id distance bounds the event count from above (gaps only make it smaller), and costs nothing.
    if (!lanes.any || window_.head() - lanes.fastest < static_cast<std::int64_t>(options_.lead)) {
      full = pollHeadOnce();
    } else {
      full = true;  // the lanes are busy with what is here; come back soon rather than after an interval
      pause(std::chrono::milliseconds(20));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - lastRecheck_ >= options_.fetchInterval) {
      lastRecheck_ = now;
      recheckGapsOnce();
      expireGapsOnce();
      window_.pruneLate(now, 2 * gaps_.timeout());
    }
    if (lanes.any) {
      window_.dropThrough(lanes.slowest);
    } else {
      window_.dropThrough(window_.head());
    }
    if (!full) {
      pause(options_.fetchInterval);
    }
  }
}

void Fetcher::start() {
  thread_ = std::thread([this] { run(); });
}

void Fetcher::stop() {
  stopSignal_.request();
  if (thread_.joinable()) {
    thread_.join();
  }
}

FetcherStatus Fetcher::status() const {
  std::lock_guard lock(statusMutex_);
  return {window_.head(), consecutiveFailures_, lastError_, gaps_.openIdCount()};
}

}  // namespace sgeventd::engine
