#include "engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "shotgrid/client.h"

namespace sgeventd::engine {

Engine::Engine(EngineOptions options, EngineDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      log_(deps_.logs->get("engine")),
      gaps_(options_.backlogTimeout, log_),
      window_(std::max(options_.windowCapacity,
                       options_.fetcher.lead + static_cast<std::size_t>(options_.fetcher.concurrency + 1) *
                                                   options_.fetcher.batchSize)) {
  if (!deps_.metrics) {
    deps_.metrics = core::discardMetrics();
  }
}

Engine::~Engine() { stop(); }

LaneContext Engine::laneContext() {
  return LaneContext{window_,          gaps_,        deps_.store, deps_.logs,   deps_.clock, deps_.shutdown,
                     deps_.makeReader, deps_.timing, board_,      deps_.metrics};
}

FailurePolicy Engine::policyFor(const std::string& pluginName) const {
  auto it = options_.policyOverrides.find(pluginName);
  return it == options_.policyOverrides.end() ? options_.policy : it->second;
}

Progress Engine::startingProgress(const plugins::PluginId& id) {
  // Read from the store each time: a plugin that was removed and came back resumes where its lane left it.
  if (auto stored = deps_.store.loadCheckpoint(id.collection, id.name); stored && *stored) {
    gaps_.restore((*stored)->gaps);  // the fetcher keeps re-checking what it was waiting for
    return Progress((*stored)->cursor, (*stored)->gaps);
  }
  if (deps_.startPosition) {
    if (auto start = deps_.startPosition(id)) {
      Progress given(start->cursor, {});
      (void)deps_.store.commit({given.checkpoint(id.collection, id.name)});
      log_->info(fmt::format("Plugin {} starts after event {}, {}.", id.name, start->cursor, start->origin));
      return given;
    }
  }
  // A plugin seen for the first time starts after the newest event of the site (as the original's first
  // start), not at the fetcher's head, which lags while the daemon catches up after a pause.
  if (!probe_) {
    probe_ = deps_.makeReader();
  }
  const auto head = fetcher_->newestEventId(probe_.get()).value_or(window_.head());
  Progress fresh(head, {});
  // Saved at once, so a restart before its first event does not move its start forward; and saved before
  // the line says where it starts, so the line is true even if the process dies right after it.
  (void)deps_.store.commit({fresh.checkpoint(id.collection, id.name)});
  log_->info(fmt::format("Plugin {} has no saved position; it starts after event {}.", id.name, head));
  return fresh;
}

std::optional<store::PluginStatus> Engine::persistedStatus(const plugins::PluginId& id) {
  auto statuses = deps_.store.pluginStatuses();
  if (!statuses) {
    return std::nullopt;
  }
  for (auto& s : *statuses) {
    if (s.collection == id.collection && s.plugin == id.name) {
      return s;
    }
  }
  return std::nullopt;
}

Expected<void> Engine::start() {
  auto checkpoints = deps_.store.loadCheckpoints();
  if (!checkpoints) {
    return fail("could not read the state: " + checkpoints.error().message);
  }
  std::int64_t highestCursor = 0;
  for (auto& c : *checkpoints) {
    gaps_.restore(c.gaps);  // the fetcher keeps re-checking what lanes were waiting for
    highestCursor = std::max(highestCursor, c.cursor);
  }
  fetcher_ = std::make_unique<Fetcher>(options_.fetcher, deps_.makeReader(), window_, gaps_, log_,
                                       deps_.clock, deps_.shutdown, deps_.metrics);
  std::vector<shotgrid::EventReaderPtr> catchUpReaders;
  for (int i = 1; i < options_.fetcher.concurrency; ++i) {
    catchUpReaders.push_back(deps_.makeReader());
  }
  fetcher_->setParallelReaders(std::move(catchUpReaders));
  auto storedHead = deps_.store.head();
  std::int64_t head = 0;
  if (storedHead && *storedHead) {
    head = std::max(**storedHead, highestCursor);
  } else {
    auto newest = fetcher_->newestEventId();
    if (!newest) {
      return fail("stopped before the site answered");
    }
    head = *newest;
    log_->info(fmt::format("Last event id ({}) from the SG database.", head));
    (void)deps_.store.setHead(head);
  }
  window_.reset(head);
  fetcher_->setLanePositions([this] { return board_.positions(); });
  fetcher_->setHeadListener([this](std::int64_t h) {
    const auto now = deps_.clock->steadyNow();
    if (now - lastHeadSave_ >= std::chrono::seconds(1)) {
      lastHeadSave_ = now;
      (void)deps_.store.setHead(h);
    }
  });
  reloads_ =
      deps_.metrics->counter("sgeventd_plugin_reloads_total", "Plugin files loaded again after a change.");
  started_ = true;
  refreshPlugins(false);
  log_->debug("Starting the event processing loop.");
  fetcher_->start();
  return {};
}

void Engine::refreshPlugins(bool force) {
  if (!started_) {
    return;
  }
  std::lock_guard refresh(refreshMutex_);
  applySlots(deps_.plugins.refresh(force));
}

void Engine::applySlots(std::vector<PluginSlot> slots) {
  reapRetired();
  // What changed is worked out under the lock; the site (a new plugin's start) and lane threads are
  // touched outside it, so a hung callback or a dead site never holds status() or the fetcher.
  struct Added {
    PluginSlot slot;
    std::size_t index;
  };
  std::vector<Added> added;
  std::vector<std::shared_ptr<Lane>> retiring;
  {
    std::lock_guard lock(lanesMutex_);
    std::map<std::string, bool> present;
    for (std::size_t index = 0; index < slots.size(); ++index) {
      auto& slot = slots[index];
      const auto key = slot.id.key();
      present[key] = true;
      if (!slot.plugin && loggedLoadError_[key] != slot.generation) {
        loggedLoadError_[key] = slot.generation;  // once per load attempt, not once per rescan
        log_->error(fmt::format("Plugin {} is inactive: {}", slot.id.name, slot.loadError));
      }
      auto it = placements_.find(key);
      if (it == placements_.end()) {
        added.push_back({slot, index});
        continue;
      }
      if (it->second.generation != slot.generation) {
        it->second.generation = slot.generation;
        reloads_->inc();
        it->second.lane->replacePlugin(key, slot.plugin, slot.loadError);
      }
      if (it->second.reloadError != slot.reloadError) {
        it->second.reloadError = slot.reloadError;
        it->second.lane->setReloadError(key, slot.reloadError);
      }
    }
    for (auto it = placements_.begin(); it != placements_.end();) {
      if (present.count(it->first)) {
        ++it;
        continue;
      }
      log_->info(fmt::format("Plugin {} was removed; its position is kept for when it returns.", it->first));
      auto lane = it->second.lane;
      lane->removeMember(it->first);
      it = placements_.erase(it);
      if (!options_.strictOrder) {
        std::erase(lanes_, lane);
        retired_.push_back(lane);
        retiring.push_back(lane);
      }
    }
  }
  for (auto& lane : retiring) {
    lane->retire();  // no join here: its callback may never return
  }
  for (auto& a : added) {
    auto progress = startingProgress(a.slot.id);
    auto persisted = persistedStatus(a.slot.id);
    if (!persisted || !a.slot.plugin) {
      const auto state = a.slot.plugin ? store::PluginState::Active : store::PluginState::LoadFailed;
      (void)deps_.store.setPluginStatus(
          {a.slot.id.collection, a.slot.id.name, state, a.slot.loadError, deps_.clock->now()});
    }
    std::lock_guard lock(lanesMutex_);
    std::shared_ptr<Lane> lane;
    const bool created = !options_.strictOrder || lanes_.empty();
    if (created) {
      lane = std::make_shared<Lane>(options_.strictOrder ? "strict" : a.slot.id.key(), options_.lane,
                                    laneContext());
      lanes_.push_back(lane);
    } else {
      lane = lanes_.front();
    }
    lane->addMember(a.slot.id, a.slot.plugin, a.slot.loadError, std::move(progress),
                    policyFor(a.slot.id.name), a.index, std::move(persisted));
    if (created) {
      lane->start();
    }
    placements_[a.slot.id.key()] = Placement{lane, a.slot.generation, a.slot.reloadError, a.slot.id};
  }
}

void Engine::reapRetired() {
  std::vector<std::shared_ptr<Lane>> done;
  {
    std::lock_guard lock(lanesMutex_);
    for (auto it = retired_.begin(); it != retired_.end();) {
      if ((*it)->finished()) {
        done.push_back(*it);
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& lane : done) {
    lane->stop();  // its thread has finished: this join returns at once
  }
}

void Engine::stop() {
  if (fetcher_) {
    fetcher_->stop();
  }
  std::vector<std::shared_ptr<Lane>> lanes;
  {
    std::lock_guard lock(lanesMutex_);
    lanes = lanes_;
    lanes.insert(lanes.end(), retired_.begin(), retired_.end());
  }
  for (auto& lane : lanes) {
    lane->requestStop();
  }
  // A callback that never returns holds this join; the daemon's shutdown_timeout watchdog ends the process.
  for (auto& lane : lanes) {
    lane->stop();
  }
  if (started_) {
    (void)deps_.store.setHead(window_.head());
    log_->debug("Shuting down event processing loop.");
    started_ = false;
  }
}

Expected<Engine::Placement> Engine::placementFor(const std::string& plugin) const {
  std::lock_guard lock(lanesMutex_);
  if (auto it = placements_.find(plugin); it != placements_.end()) {
    return it->second;
  }
  const Placement* found = nullptr;
  for (const auto& [key, placement] : placements_) {
    if (placement.id.name == plugin) {
      if (found != nullptr) {
        return fail("more than one plugin is named " + plugin + "; name it as collection::name",
                    static_cast<int>(ControlError::BadRequest));
      }
      found = &placement;
    }
  }
  if (found == nullptr) {
    return fail("no plugin named " + plugin, static_cast<int>(ControlError::NotFound));
  }
  return *found;
}

Expected<void> Engine::control(const ControlRequest& request) {
  if (!started_) {
    return fail("the engine is not running", static_cast<int>(ControlError::Conflict));
  }
  auto placement = placementFor(request.plugin);
  if (!placement) {
    return tl::unexpected(placement.error());
  }
  const std::string key = placement->id.key();
  using Action = ControlRequest::Action;
  switch (request.action) {
    case Action::Enable:
      placement->lane->enable(key);
      return {};
    case Action::Disable:
      placement->lane->disable(key);
      return {};
    case Action::Reload: {
      std::lock_guard refresh(refreshMutex_);
      log_->info(fmt::format("Reloading plugin {} at an operator's request.", placement->id.name));
      applySlots(deps_.plugins.reload(key));
      return {};
    }
    case Action::SetCursor:
      if (request.eventId < 0) {
        return fail("an event id is a whole number of at least 0",
                    static_cast<int>(ControlError::BadRequest));
      }
      if (request.eventId > window_.head()) {
        return fail(fmt::format("event {} is beyond the newest event read from the site ({})",
                                request.eventId, window_.head()),
                    static_cast<int>(ControlError::BadRequest));
      }
      placement->lane->setCursor(key, request.eventId);
      return {};
    case Action::Replay: {
      auto record = deps_.store.failure(request.failureId);
      if (!record) {
        return fail(record.error().message);
      }
      if (!*record || (*record)->plugin != placement->id.name ||
          (*record)->collection != placement->id.collection) {
        return fail(fmt::format("plugin {} has no failure record {}", placement->id.name, request.failureId),
                    static_cast<int>(ControlError::NotFound));
      }
      auto json = nlohmann::json::parse((*record)->eventJson, nullptr, false);
      auto event = json.is_discarded() ? Expected<core::Event>(fail("")) : shotgrid::eventFromJson(json);
      if (!event) {
        return fail(fmt::format("failure record {} does not hold its event (a crash of the daemon, or "
                                "recorded by an older sgeventd)",
                                request.failureId),
                    static_cast<int>(ControlError::Conflict));
      }
      placement->lane->replay(key, (*record)->callback,
                              std::make_shared<const core::Event>(std::move(*event)));
      return {};
    }
  }
  return fail("unknown request", static_cast<int>(ControlError::BadRequest));
}

void Engine::pollNow() {
  if (fetcher_) {
    fetcher_->poke();
  }
}

EngineStatus Engine::status() const {
  EngineStatus out;
  if (fetcher_) {
    out.fetcher = fetcher_->status();
  }
  out.headCreatedAt = window_.headCreatedAt();
  out.plugins = board_.members();
  const auto now = deps_.clock->now();
  for (auto& m : out.plugins) {
    m.stuck = m.inCallbackSince && m.stuckAfter && now - *m.inCallbackSince > *m.stuckAfter;
  }
  return out;
}

void Engine::reportStuck() {
  const auto stuck = board_.stuck(deps_.clock->now());
  if (stuck.empty()) {
    return;
  }
  std::lock_guard lock(stuckMutex_);
  for (const auto& s : stuck) {
    auto& warned = stuckWarned_[s.id.key()];
    if (warned == s.eventId) {
      continue;
    }
    warned = s.eventId;
    log_->warning(fmt::format(
        "Plugin {} is stuck: callback {} has been running on event {} for {:.1f} s, past its "
        "callback_timeout of {} s. A callback in the daemon's own thread cannot be stopped safely, so the "
        "plugin waits for it (with isolation = process it would be ended and retried).",
        s.id.name, s.callback, s.eventId, std::chrono::duration<double>(s.running).count(),
        std::chrono::duration<double>(s.timeout).count()));
  }
}

}  // namespace sgeventd::engine
