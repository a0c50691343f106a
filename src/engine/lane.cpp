#include "engine/lane.h"

#include <fmt/format.h>

#include <algorithm>

namespace sgeventd::engine {
namespace {

MemberState persistedState(const std::optional<store::PluginStatus>& s) {
  if (!s) {
    return MemberState::Active;
  }
  switch (s->state) {
    case store::PluginState::Inactive:
      return MemberState::Deactivated;
    case store::PluginState::Disabled:
      return MemberState::Disabled;
    default:
      return MemberState::Active;
  }
}

}  // namespace

Lane::Lane(std::string name, LaneOptions options, LaneContext context)
    : name_(std::move(name)),
      options_(options),
      context_(std::move(context)),
      log_(context_.logs->get("engine")),
      shutdownSubscription_(context_.shutdown.subscribe(waker_)),
      source_(context_.window, context_.makeReader, options_.batchSize, options_.rangeReads, log_,
              context_.clock, name_, context_.metrics),
      dispatcher_(
          DispatchContext{context_.store, context_.clock, log_, context_.logs, context_.timing, &activity_}),
      checkpointer_(context_.store, context_.clock, options_.groupCommitEvery, log_, name_,
                    [this](std::chrono::milliseconds d) { return pause(d); }) {
  context_.window.subscribe(waker_);
}

Lane::~Lane() {
  stop();
  context_.window.unsubscribe(waker_);
  context_.board.remove(name_);
}

bool Lane::pause(std::chrono::milliseconds d) {
  if (stopped()) {
    return false;
  }
  waker_.waitFor(d);
  return !stopped();
}

void Lane::post(std::function<void()> update) {
  {
    std::lock_guard lock(updatesMutex_);
    updates_.push_back(std::move(update));
  }
  updatesPosted_.store(true, std::memory_order_release);
  waker_.poke();
}

Member* Lane::find(const std::string& key) {
  for (auto& m : members_) {
    if (m->key == key) {
      return m.get();
    }
  }
  return nullptr;
}

void Lane::persistState(Member& m, store::PluginState state) {
  (void)context_.store.setPluginStatus({m.id.collection, m.id.name, state, m.reason, context_.clock->now(),
                                        m.resume.eventId, m.resume.callback});
}

void Lane::addMember(plugins::PluginId id, plugins::PluginPtr plugin, std::string loadError,
                     Progress progress, FailurePolicy policy, std::size_t position,
                     std::optional<store::PluginStatus> persisted) {
  auto log = context_.logs->get("plugin." + id.name);
  auto metrics = MemberMetrics::create(*context_.metrics, id);
  auto member = std::make_shared<std::unique_ptr<Member>>(
      std::make_unique<Member>(std::move(id), std::move(plugin), std::move(loadError), std::move(progress),
                               policy, std::move(log), std::move(metrics)));
  auto& m = **member;
  if (m.plugin && persistedState(persisted) != MemberState::Active) {
    // A deactivation or an operator's disable outlives a restart; the plugin resumes where it stopped.
    m.state = persistedState(persisted);
    m.reason = persisted->reason;
    m.resume = ResumePoint{persisted->resumeEvent, persisted->resumeCallback, 0};
    if (m.state == MemberState::Deactivated && policy.reactivateAfter.count() > 0) {
      m.reactivateAt = context_.clock->steadyNow() + policy.reactivateAfter;
    }
    log_->warning(fmt::format("Plugin {} is {} since before the restart: {}", m.id.name,
                              memberStateName(m.state), m.reason));
  }
  post([this, member, position] {
    const auto at = std::min(position, members_.size());
    members_.insert(members_.begin() + static_cast<std::ptrdiff_t>(at), std::move(*member));
  });
}

void Lane::replacePlugin(const std::string& key, plugins::PluginPtr plugin, std::string loadError) {
  post([this, key, plugin = std::move(plugin), loadError = std::move(loadError)]() mutable {
    Member* m = find(key);
    if (m == nullptr) {
      return;
    }
    m->plugin = std::move(plugin);
    m->loadError = std::move(loadError);
    m->reloadError.clear();
    m->retry.reset();  // the new version starts the failed callback afresh
    m->reactivateAt.reset();
    if (!m->plugin) {
      m->state = MemberState::LoadFailed;
      m->reason = m->loadError;
      persistState(*m, store::PluginState::LoadFailed);
      return;
    }
    if (m->state == MemberState::Disabled) {
      return;  // only an operator turns a disabled plugin back on
    }
    if (m->state == MemberState::Deactivated) {
      log_->info(fmt::format("Plugin {} changed on disk; reactivating it at event {}.", m->id.name,
                             m->resume.eventId != 0 ? m->resume.eventId : m->progress.cursor() + 1));
    }
    m->state = MemberState::Active;
    m->reason.clear();
    persistState(*m, store::PluginState::Active);
  });
}

void Lane::setReloadError(const std::string& key, std::string error) {
  post([this, key, error = std::move(error)]() mutable {
    if (Member* m = find(key)) {
      m->reloadError = std::move(error);
    }
  });
}

void Lane::removeMember(const std::string& key) {
  post([this, key] { std::erase_if(members_, [&](const auto& m) { return m->key == key; }); });
}

void Lane::enable(const std::string& key) {
  post([this, key] {
    Member* m = find(key);
    if (m == nullptr || !m->plugin || m->receives()) {
      return;
    }
    m->state = MemberState::Active;
    m->reason.clear();
    m->reactivateAt.reset();
    log_->info(fmt::format("Plugin {} enabled by an operator; it resumes at event {}.", m->id.name,
                           m->resume.eventId != 0 ? m->resume.eventId : m->progress.cursor() + 1));
    persistState(*m, store::PluginState::Active);
  });
}

void Lane::disable(const std::string& key) {
  post([this, key] {
    Member* m = find(key);
    if (m == nullptr || m->state == MemberState::Disabled) {
      return;
    }
    if (m->retry) {
      // The failed callback runs again, from its first attempt, once the plugin is enabled.
      m->resume = ResumePoint{m->retry->event->id, m->plugin->callbacks()[m->retry->callback].name,
                              m->retry->callback};
      m->retry.reset();
    }
    m->state = MemberState::Disabled;
    m->reason = "disabled by an operator";
    log_->warning(
        fmt::format("Plugin {} disabled by an operator at event {}.", m->id.name, m->progress.cursor()));
    persistState(*m, store::PluginState::Disabled);
  });
}

void Lane::setCursor(const std::string& key, std::int64_t cursor) {
  post([this, key, cursor] {
    Member* m = find(key);
    if (m == nullptr) {
      return;
    }
    const auto was = m->progress.cursor();
    if (auto set = checkpointer_.setCursor(*m, cursor); !set) {
      log_->error(
          fmt::format("Could not move plugin {} to event {}: {}", m->id.name, cursor, set.error().message));
      return;
    }
    log_->info(fmt::format("Plugin {} moved by an operator from event {} to event {}; it continues after it.",
                           m->id.name, was, cursor));
  });
}

void Lane::replay(const std::string& key, std::string callback, core::EventPtr event) {
  post([this, key, callback = std::move(callback), event = std::move(event)] {
    for (std::size_t index = 0; index < members_.size(); ++index) {
      Member& m = *members_[index];
      if (m.key != key || !m.plugin) {
        continue;
      }
      const auto& callbacks = m.plugin->callbacks();
      for (std::size_t i = 0; i < callbacks.size(); ++i) {
        if (callbacks[i].name == callback) {
          dispatcher_.replay(m, i, event, index);
          return;
        }
      }
      log_->error(fmt::format("Cannot replay event {} for plugin {}: it has no callback {} any more.",
                              event->id, m.id.name, callback));
    }
  });
}

void Lane::applyUpdates() {
  std::vector<std::function<void()>> pending;
  {
    std::lock_guard lock(updatesMutex_);
    pending.swap(updates_);
    updatesPosted_.store(false, std::memory_order_relaxed);
  }
  if (pending.empty()) {
    return;
  }
  checkpointer_.commit(members_, true);  // a member leaving must not lose what it did
  for (auto& update : pending) {
    update();
  }
  publishStatus();
}

void Lane::reactivateDue() {
  const auto now = context_.clock->steadyNow();
  for (auto& m : members_) {
    if (m->state == MemberState::Deactivated && m->plugin && m->reactivateAt && *m->reactivateAt <= now) {
      m->state = MemberState::Active;
      m->reason.clear();
      m->reactivateAt.reset();
      log_->info(fmt::format("Reactivating plugin {} after {} s; resuming at event {}.", m->id.name,
                             m->failures.policy().reactivateAfter.count(),
                             m->resume.eventId != 0 ? m->resume.eventId : m->progress.cursor() + 1));
      persistState(*m, store::PluginState::Active);
      publishStatus();
    }
  }
}

bool Lane::retryDue(StepResult& result) {
  // A pending retry holds the whole lane: in-order delivery (and, with strict_order, the original's order
  // across plugins) means nothing after that event may run first.
  const auto now = context_.clock->steadyNow();
  bool waiting = false;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Member& m = *members_[i];
    if (!m.retry || !m.receives()) {
      continue;
    }
    if (m.retry->due > now) {
      result.wakeAt = result.wakeAt ? std::min(*result.wakeAt, m.retry->due) : m.retry->due;
      waiting = true;
      continue;
    }
    const auto event = m.retry->event;
    result.worked = true;
    if (!deliver(i, event)) {
      waiting = true;
      if (m.retry) {
        result.wakeAt = result.wakeAt ? std::min(*result.wakeAt, m.retry->due) : m.retry->due;
      }
    }
  }
  return waiting;
}

namespace {
// A process plugin's run-ahead is 64 events (worker/process_plugin.h): no more than that uncommitted.
constexpr std::uint32_t kRunAheadCommitEvery = 64;
}  // namespace

bool Lane::deliver(std::size_t index, const core::EventPtr& eventPtr) {
  Member& m = *members_[index];
  const core::Event& event = *eventPtr;
  const bool late = event.id <= m.progress.cursor();
  if (!late && event.id > m.progress.cursor() + 1) {
    auto open =
        context_.gaps.observe(m.progress.cursor() + 1, event.id - 1, event.createdAt, context_.clock->now());
    if (!open.empty()) {
      m.progress.backlogGaps(open);
    }
  }
  const auto result = dispatcher_.dispatch(m, eventPtr, index);
  if (result == DispatchResult::Waiting || result == DispatchResult::Deactivated) {
    publishStatus();
    return result != DispatchResult::Waiting;
  }
  m.progress.markDone(event.id);
  if (late) {
    m.log->info(fmt::format("Processed id {} from backlog.", event.id));
  }
  ++m.processed;
  m.metrics.processed->inc();
  m.lastEventId = std::max(m.lastEventId, event.id);
  if (!late) {
    m.lastEventCreatedAt = event.createdAt;
  }
  m.dirty = true;
  // Work a callback did is committed before the next event starts, so a crash re-runs at most this one.
  // A worker process running ahead has run the next events already: a commit before each buys nothing,
  // so it comes every kRunAheadCommitEvery events (what a daemon crash may then re-run is bounded the same).
  bool force = result == DispatchResult::DoneRan || late;
  if (force && m.plugin->ranAhead() && ++m.uncommittedAhead < kRunAheadCommitEvery) {
    force = false;
  } else if (force) {
    m.uncommittedAhead = 0;
  }
  return checkpointer_.commit(members_, force);
}

bool Lane::settleBacklogs() {
  // An id the fetcher stopped watching either committed (its event waits in the window, or the site has it)
  // or expired (the fetcher logged it): deliver it or drop it, never neither.
  bool worked = false;
  for (std::size_t i = 0; i < members_.size() && !stopped(); ++i) {
    Member& m = *members_[i];
    if (!m.receives() || m.retry || m.progress.backlog().empty()) {
      continue;
    }
    if (m.settleRetryAt && *m.settleRetryAt > context_.clock->steadyNow()) {
      continue;
    }
    // Range by range, never id by id: a backlog may hold a long run of ids.
    std::vector<GapRange> settled;
    for (const auto& range : m.progress.backlog().ranges()) {
      RangeSet stillWatched(context_.gaps.openWithin(range.first, range.last));
      for (const auto& event : source_.late(range.first, range.last)) {
        stillWatched.add(event->id, event->id, range.expires);  // handed over: processLate delivers it
      }
      for (const auto& [first, last] : stillWatched.holes(range.first, range.last)) {
        settled.push_back({first, last, range.expires});
      }
    }
    if (settled.empty()) {
      continue;
    }
    auto found = source_.readIds(settled);
    if (!found) {
      m.settleRetryAt = context_.clock->steadyNow() + std::chrono::seconds(5);  // warned by the source
      continue;
    }
    m.settleRetryAt.reset();
    worked = true;
    for (const auto& event : *found) {
      if (m.progress.isLate(event->id) && !deliver(i, event)) {
        return true;
      }
    }
    std::vector<GapRange> expired;
    for (const auto& r : settled) {
      const auto left = m.progress.backlog().covered(r.first, r.last);
      expired.insert(expired.end(), left.begin(), left.end());
      m.progress.forget(r.first, r.last);  // what the site does not have never committed
    }
    if (!expired.empty()) {
      m.log->debug(fmt::format("Backlog ids {} expired without committing.", describeRanges(expired)));
      m.dirty = true;
      checkpointer_.commit(members_, false);
    }
  }
  return worked;
}

bool Lane::processLate() {
  bool worked = false;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Member& m = *members_[i];
    if (!m.receives() || m.progress.backlog().empty()) {
      continue;
    }
    // One look across the whole backlog, not one per range: a re-check's events land in the window
    // together, so the member meets them in id order whatever moment it looks.
    const auto& ranges = m.progress.backlog().ranges();
    for (const auto& event : source_.late(ranges.front().first, ranges.back().last)) {
      if (stopped() || !m.receives()) {
        return worked;
      }
      if (m.progress.isLate(event->id)) {
        worked = true;
        if (!deliver(i, event)) {
          return worked;
        }
      }
    }
  }
  return worked;
}

bool Lane::processNext() {
  std::optional<std::int64_t> position;
  for (const auto& m : members_) {
    if (m->receives() && m->plugin) {
      position = position ? std::min(*position, m->progress.cursor()) : m->progress.cursor();
    }
  }
  if (!position) {
    return false;
  }
  auto batch = source_.next(*position);
  if (batch.failed) {
    pause(std::chrono::seconds(1));
    return false;
  }
  offerBatch(batch.events);
  for (const auto& event : batch.events) {
    // A stop, a reload or an operator's request applies between two events, not after the batch; once
    // what a worker process ran ahead has been taken, so nothing that ran is forgotten.
    if ((stopped() || updatesPosted_.load(std::memory_order_acquire)) && !finishRunAhead()) {
      if (stopped()) {
        return true;
      }
      break;
    }
    for (std::size_t i = 0; i < members_.size(); ++i) {
      Member& m = *members_[i];
      if (m.receives() && m.plugin && m.progress.wants(event->id) && !deliver(i, event)) {
        return true;
      }
    }
    // Status is copied for the board at most every kStatusEvery within a batch: a copy per event was a
    // tenth of a busy lane's time. The batch's end is always published.
    if (context_.clock->steadyNow() - lastPublished_ >= kStatusEvery) {
      publishStatus();
    }
  }
  publishStatus();
  checkpointer_.commit(members_, false);
  return !batch.events.empty();
}

void Lane::offerBatch(const std::vector<core::EventPtr>& events) {
  for (auto& m : members_) {
    // A pending retry or a resume point starts inside an event: that one goes callback by callback.
    if (!m->receives() || !m->plugin || m->retry || m->resume.eventId != 0) {
      continue;
    }
    std::vector<core::EventPtr> wanted;
    for (const auto& e : events) {
      if (m->progress.wants(e->id)) {
        wanted.push_back(e);
      }
    }
    if (!wanted.empty()) {
      m->plugin->offer(wanted);
    }
  }
}

bool Lane::finishRunAhead() {
  bool owed = false;
  for (auto& m : members_) {
    if (m->plugin) {
      m->plugin->withdrawOffer();
      owed = owed || (m->receives() && m->plugin->ranAhead());
    }
  }
  return owed;
}

Lane::StepResult Lane::step() {
  StepResult result;
  applyUpdates();
  reactivateDue();
  if (retryDue(result) || stopped()) {
    return result;
  }
  result.worked = settleBacklogs() || result.worked;
  if (!stopped()) {
    result.worked = processLate() || result.worked;
  }
  if (!stopped() &&
      !std::any_of(members_.begin(), members_.end(), [](const auto& m) { return m->retry.has_value(); })) {
    result.worked = processNext() || result.worked;
  }
  if (!result.worked) {
    checkpointer_.commit(members_, false);
  }
  for (const auto& m : members_) {
    if (m->retry) {
      result.wakeAt = result.wakeAt ? std::min(*result.wakeAt, m->retry->due) : m->retry->due;
    }
  }
  return result;
}

void Lane::run() {
  while (!stopped()) {
    const auto result = step();
    if (result.worked) {
      continue;
    }
    auto wait = std::chrono::steady_clock::duration(options_.idleWait);
    if (result.wakeAt) {
      wait = std::min(wait, *result.wakeAt - context_.clock->steadyNow());
    }
    if (wait > std::chrono::steady_clock::duration::zero()) {
      waker_.waitFor(wait);
    }
  }
  checkpointer_.commit(members_, true);
  publishStatus();
  finished_ = true;
}

void Lane::publishStatus() {
  if (retired_) {
    return;
  }
  lastPublished_ = context_.clock->steadyNow();
  const auto head = context_.window.head();
  const auto headCreatedAt = context_.window.headCreatedAt();
  std::vector<MemberStatus> status;
  status.reserve(members_.size());
  for (const auto& m : members_) {
    status.push_back({m->id, m->progress.cursor(), m->progress.backlog().ranges(), m->plugin != nullptr,
                      m->receives() && m->plugin != nullptr, m->state, m->reason, m->reloadError,
                      m->processed, m->failedAttempts, m->retries, m->skipped, m->lastEventId,
                      m->lastEventCreatedAt, m->lastError, std::nullopt});
    if (!m->failures.policy().inWorkerProcess) {
      status.back().stuckAfter = m->failures.policy().callbackTimeout;
    }
    m->metrics.lagEvents->set(static_cast<double>(std::max<std::int64_t>(0, head - m->progress.cursor())));
    if (headCreatedAt && m->lastEventCreatedAt) {
      m->metrics.lagSeconds->set(
          std::max(0.0, std::chrono::duration<double>(*headCreatedAt - *m->lastEventCreatedAt).count()));
    }
  }
  context_.board.publish(name_, std::move(status), &activity_);
}

void Lane::start() {
  applyUpdates();
  publishStatus();
  thread_ = std::thread([this] { run(); });
}

void Lane::retire() {
  retired_ = true;
  requestStop();
  context_.board.remove(name_);
}

void Lane::requestStop() {
  stopping_ = true;
  waker_.interrupt();
}

void Lane::stop() {
  requestStop();
  if (thread_.joinable()) {
    thread_.join();
  }
  finished_ = true;
}

}  // namespace sgeventd::engine
