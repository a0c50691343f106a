#include "engine/lane.h"

#include <fmt/format.h>

#include <algorithm>

namespace sgeventd::engine {

struct Lane::Member {
  plugins::PluginId id;
  plugins::PluginPtr plugin;
  std::string loadError;
  Progress progress;
  FailurePolicy policy;
  core::Backoff backoff;
  core::LoggerPtr log;  // plugin.<name>
  bool active = true;
  std::string reason;
  std::optional<std::chrono::steady_clock::time_point> reactivateAt;
  // Where a deactivated plugin resumes: the event that failed and the callback that failed on it.
  std::int64_t resumeEvent = 0;
  std::size_t resumeCallback = 0;
  bool dirty = false;
  std::uint64_t processed = 0;
  std::uint64_t failures = 0;

  Member(plugins::PluginId pid, plugins::PluginPtr p, std::string err, Progress prog, FailurePolicy pol,
         core::LoggerPtr l)
      : id(std::move(pid)),
        plugin(std::move(p)),
        loadError(std::move(err)),
        progress(std::move(prog)),
        policy(pol),
        backoff(pol.backoff),
        log(std::move(l)) {
    active = plugin != nullptr;
    reason = active ? "" : loadError;
  }
};

Lane::Lane(std::string name, LaneOptions options, LaneContext context)
    : name_(std::move(name)),
      options_(options),
      context_(std::move(context)),
      log_(context_.logs->get("engine")) {}

Lane::~Lane() { stop(); }

void Lane::pause(std::chrono::steady_clock::duration d) { stopSignal_.pauseFor(d, context_.shutdown); }

void Lane::addMember(plugins::PluginId id, plugins::PluginPtr plugin, std::string loadError,
                     Progress progress, FailurePolicy policy, std::size_t position) {
  auto log = context_.logs->get("plugin." + id.name);
  auto member = std::make_shared<std::unique_ptr<Member>>(std::make_unique<Member>(
      std::move(id), std::move(plugin), std::move(loadError), std::move(progress), policy, std::move(log)));
  {
    std::lock_guard lock(updatesMutex_);
    updates_.push_back([this, member, position] {
      const auto at = std::min(position, members_.size());
      members_.insert(members_.begin() + static_cast<std::ptrdiff_t>(at), std::move(*member));
    });
  }
  context_.window.poke();
}

void Lane::replacePlugin(const std::string& key, plugins::PluginPtr plugin, std::string loadError) {
  {
    std::lock_guard lock(updatesMutex_);
    updates_.push_back([this, key, plugin = std::move(plugin), loadError = std::move(loadError)]() mutable {
      for (auto& m : members_) {
        if (m->id.key() != key) {
          continue;
        }
        m->plugin = std::move(plugin);
        m->loadError = std::move(loadError);
        // A new version starts afresh on the event it stopped at (as the original's reload), active again.
        m->resumeCallback = 0;
        m->resumeEvent = 0;
        m->reactivateAt.reset();
        m->active = m->plugin != nullptr;
        m->reason = m->active ? "" : m->loadError;
        (void)context_.store.setPluginStatus(
            {m->id.collection, m->id.name,
             m->active ? store::PluginState::Active : store::PluginState::LoadFailed, m->reason,
             context_.clock->now()});
      }
    });
  }
  context_.window.poke();
}

void Lane::removeMember(const std::string& key) {
  {
    std::lock_guard lock(updatesMutex_);
    updates_.push_back(
        [this, key] { std::erase_if(members_, [&](const auto& m) { return m->id.key() == key; }); });
  }
  context_.window.poke();
}

void Lane::applyUpdates() {
  std::vector<std::function<void()>> pending;
  {
    std::lock_guard lock(updatesMutex_);
    pending.swap(updates_);
  }
  if (pending.empty()) {
    return;
  }
  commit(true);  // a member leaving must not lose what it did
  for (auto& update : pending) {
    update();
  }
  publishStatus();
}

void Lane::reactivateDue() {
  const auto now = std::chrono::steady_clock::now();
  for (auto& m : members_) {
    if (!m->active && m->plugin && m->reactivateAt && *m->reactivateAt <= now) {
      m->active = true;
      m->reason.clear();
      m->reactivateAt.reset();
      log_->info(fmt::format("Reactivating plugin {} after {} s; resuming at event {}.", m->id.name,
                             m->policy.reactivateAfter.count(), m->progress.cursor() + 1));
      (void)context_.store.setPluginStatus(
          {m->id.collection, m->id.name, store::PluginState::Active, "", context_.clock->now()});
      publishStatus();
    }
  }
}

void Lane::expireBacklogs() {
  const auto now = context_.clock->now();
  for (auto& m : members_) {
    const auto expired = m->progress.expire(now);
    if (!expired.empty()) {
      m->log->debug(fmt::format("Backlog ids {} expired without committing.", describeRanges(expired)));
      m->dirty = true;
    }
  }
}

void Lane::deactivate(Member& m, const core::Event& event, std::size_t callback, int attempts,
                      const std::string& error) {
  m.active = false;
  m.resumeEvent = event.id;
  m.resumeCallback = callback;
  const auto& cb = m.plugin->callbacks()[callback];
  m.reason = fmt::format("callback {} failed on event {} after {} attempt(s): {}", cb.name, event.id,
                         attempts, error.substr(0, 500));
  std::string when = "when its file changes or on SIGHUP";
  if (m.policy.reactivateAfter.count() > 0) {
    m.reactivateAt = std::chrono::steady_clock::now() + m.policy.reactivateAfter;
    when = fmt::format("in {} s, {}", m.policy.reactivateAfter.count(), when);
  }
  log_->warning(fmt::format("Plugin {} deactivated: {}. It resumes at event {} {}.", m.id.name, m.reason,
                            event.id, when));
  (void)context_.store.setPluginStatus(
      {m.id.collection, m.id.name, store::PluginState::Inactive, m.reason, context_.clock->now()});
}

Lane::Outcome Lane::processFor(Member& m, const core::Event& event) {
  const bool late = event.id <= m.progress.cursor();
  if (!late && event.id > m.progress.cursor() + 1) {
    auto open =
        context_.gaps.observe(m.progress.cursor() + 1, event.id - 1, event.createdAt, context_.clock->now());
    if (!open.empty()) {
      m.progress.backlogGaps(open);
    }
  }
  const auto& callbacks = m.plugin->callbacks();
  std::size_t first = 0;
  if (m.resumeEvent == event.id) {
    first = std::min(m.resumeCallback, callbacks.size());
  }
  bool ran = false;
  for (std::size_t i = first; i < callbacks.size(); ++i) {
    const auto& cb = callbacks[i];
    if (!core::matchesEvent(cb.match, event)) {
      continue;
    }
    ran = true;
    const std::string cbLogger = "plugin." + m.id.name + "." + cb.name;
    if (m.log->enabled(core::LogLevel::Debug)) {
      m.log->debug(fmt::format("Dispatching event {} to callback {}.", event.id, cb.name));
    }
    for (int attempt = 1;; ++attempt) {
      const auto start = context_.clock->now();
      const auto outcome = m.plugin->invoke(i, event, {});
      if (context_.timing) {
        context_.timing({event.id, event.createdAt, cbLogger, start, context_.clock->now(), !outcome.ok()});
      }
      if (outcome.ok()) {
        break;
      }
      ++m.failures;
      const bool last = attempt >= std::max(m.policy.attempts, 1);
      const bool stopOnError = m.policy.stopOnError.value_or(cb.stopOnError);
      (void)context_.store.recordFailure({m.id.collection, m.id.name, cb.name, event.id, attempt,
                                          outcome.message, context_.clock->now(), last});
      if (!last) {
        m.log->warning(fmt::format("Callback {} failed on event {} (attempt {} of {}); retrying.", cb.name,
                                   event.id, attempt, m.policy.attempts));
        pause(m.backoff.delay(attempt));
        if (stopped()) {
          return Outcome::Interrupted;  // not done: it runs again after the restart
        }
        continue;
      }
      if (stopOnError) {
        deactivate(m, event, i, attempt, outcome.message);
        return Outcome::Deactivated;
      }
      m.log->error(
          fmt::format("Callback {} failed on event {} after {} attempt(s); stopOnError is off, so the "
                      "event is recorded as failed and skipped.",
                      cb.name, event.id, attempt));
      break;
    }
  }
  m.resumeEvent = 0;
  m.resumeCallback = 0;
  m.progress.markDone(event.id);
  if (late) {
    m.log->info(fmt::format("Processed id {} from backlog.", event.id));
  }
  ++m.processed;
  m.dirty = true;
  // Work a callback did is committed before the next event starts, so a crash re-runs at most this one.
  commit(ran || late);
  return Outcome::Done;
}

bool Lane::processLate() {
  bool worked = false;
  for (auto& m : members_) {
    if (!m->active || m->progress.backlog().empty()) {
      continue;
    }
    for (const auto& range : m->progress.backlog().ranges()) {
      for (const auto& event : context_.window.lateIn(range.first, range.last)) {
        if (stopped() || !m->active) {
          return worked;
        }
        if (m->progress.isLate(event->id)) {
          processFor(*m, *event);
          worked = true;
        }
      }
    }
  }
  return worked;
}

std::vector<core::EventPtr> Lane::readBelowWindow(std::int64_t after, std::int64_t floor, bool& failed) {
  failed = false;
  if (!reader_) {
    reader_ = context_.makeReader();
  }
  using shotgrid::Json;
  auto result = reader_->findEvents(
      Json::array({Json::array({"id", "greater_than", after}), Json::array({"id", "less_than", floor})}),
      options_.batchSize);
  if (!result) {
    failed = true;
    const auto now = std::chrono::steady_clock::now();
    if (now - lastReadWarning_ > std::chrono::seconds(60)) {
      lastReadWarning_ = now;
      log_->warning(fmt::format("Lane {} could not read events after {}: {}; retrying.", name_, after,
                                result.error().describe()));
    }
    return {};
  }
  std::vector<core::EventPtr> out;
  out.reserve(result->size());
  for (auto& e : *result) {
    out.push_back(std::make_shared<const core::Event>(std::move(e)));
  }
  return out;
}

bool Lane::processNext() {
  std::optional<std::int64_t> position;
  for (const auto& m : members_) {
    if (m->active) {
      position = position ? std::min(*position, m->progress.cursor()) : m->progress.cursor();
    }
  }
  if (!position) {
    return false;
  }
  auto slice = context_.window.after(*position, static_cast<std::size_t>(options_.batchSize));
  std::vector<core::EventPtr> events;
  if (slice.covered) {
    events = std::move(slice.events);
  } else {
    // Behind the window: read this lane's own range instead of holding the fetcher back.
    bool failed = false;
    events = readBelowWindow(*position, slice.floor, failed);
    if (failed) {
      pause(std::chrono::seconds(1));
      return false;
    }
    if (events.empty()) {
      // Nothing committed between here and the window: continue from the window itself.
      events = context_.window.after(slice.floor - 1, static_cast<std::size_t>(options_.batchSize)).events;
    }
  }
  for (const auto& event : events) {
    for (auto& m : members_) {
      if (stopped()) {
        return true;
      }
      if (m->active && m->plugin && m->progress.wants(event->id)) {
        processFor(*m, *event);
      }
    }
    publishStatus();
  }
  commit(false);
  return !events.empty();
}

void Lane::commit(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - lastCommit_ < options_.groupCommitEvery) {
    return;
  }
  std::vector<store::Checkpoint> checkpoints;
  for (auto& m : members_) {
    if (m->dirty) {
      checkpoints.push_back(m->progress.checkpoint(m->id.collection, m->id.name));
    }
  }
  if (checkpoints.empty()) {
    return;
  }
  bool warned = false;
  for (int attempt = 1;; ++attempt) {
    auto result = context_.store.commit(checkpoints);
    if (result) {
      break;
    }
    // The state must be durable before the lane moves on; wait for the disk rather than run ahead.
    if (!warned) {
      log_->error(
          fmt::format("Could not commit the state of lane {}: {}; retrying.", name_, result.error().message));
      warned = true;
    }
    if (stopped()) {
      return;
    }
    pause(std::chrono::milliseconds(std::min(100 * attempt, 5000)));
  }
  if (warned) {
    log_->info(fmt::format("State of lane {} committed again.", name_));
  }
  for (auto& m : members_) {
    m->dirty = false;
  }
  lastCommit_ = now;
}

void Lane::publishStatus() {
  std::vector<MemberStatus> status;
  std::optional<std::pair<std::int64_t, std::int64_t>> positions;
  for (const auto& m : members_) {
    status.push_back({m->id, m->progress.cursor(), m->progress.backlog().ranges(), m->plugin != nullptr,
                      m->active, m->reason, m->processed, m->failures});
    if (m->active) {
      const auto c = m->progress.cursor();
      positions = positions ? std::make_pair(std::min(positions->first, c), std::max(positions->second, c))
                            : std::make_pair(c, c);
    }
  }
  std::lock_guard lock(statusMutex_);
  status_ = std::move(status);
  positions_ = positions;
}

void Lane::run() {
  while (!stopped()) {
    const auto seen = context_.window.version();
    applyUpdates();
    reactivateDue();
    expireBacklogs();
    bool worked = processLate();
    if (!stopped()) {
      worked = processNext() || worked;
    }
    if (!worked) {
      commit(false);
      context_.window.waitForChange(seen, options_.idleWait);
    }
  }
  commit(true);
  publishStatus();
}

void Lane::start() {
  applyUpdates();
  publishStatus();
  thread_ = std::thread([this] { run(); });
}

void Lane::requestStop() {
  stopSignal_.request();
  context_.window.poke();
}

void Lane::stop() {
  requestStop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::vector<MemberStatus> Lane::status() const {
  std::lock_guard lock(statusMutex_);
  return status_;
}

std::optional<std::pair<std::int64_t, std::int64_t>> Lane::positions() const {
  std::lock_guard lock(statusMutex_);
  return positions_;
}

}  // namespace sgeventd::engine
