#include "engine/engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "store/legacy_import.h"

namespace sgeventd::engine {

Engine::Engine(EngineOptions options, EngineDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      log_(deps_.logs->get("engine")),
      gaps_(options_.backlogTimeout),
      window_(std::max(options_.windowCapacity, options_.fetcher.lead + 2 * options_.fetcher.batchSize)) {}

Engine::~Engine() { stop(); }

LaneContext Engine::laneContext() {
  return LaneContext{window_,     gaps_,          deps_.store,      deps_.logs,
                     deps_.clock, deps_.shutdown, deps_.makeClient, deps_.timing};
}

FailurePolicy Engine::policyFor(const std::string& pluginName) const {
  auto it = options_.policyOverrides.find(pluginName);
  return it == options_.policyOverrides.end() ? options_.policy : it->second;
}

Progress Engine::startingProgress(const plugins::PluginId& id) {
  if (auto it = stored_.find(id.key()); it != stored_.end()) {
    return Progress(it->second.cursor, it->second.gaps);
  }
  if (auto stored = deps_.store.loadCheckpoint(id.collection, id.name); stored && *stored) {
    return Progress((*stored)->cursor, (*stored)->gaps);
  }
  // The original's pre-2011 state file held one id for every plugin (imported at start-up).
  if (auto legacy = store::legacyDefaultCursor(deps_.store, id.collection); legacy && *legacy) {
    log_->info(fmt::format("Plugin {} starts after event {}, from the original daemon's state file.", id.name,
                           **legacy));
    Progress imported(**legacy, {});
    (void)deps_.store.commit({imported.checkpoint(id.collection, id.name)});
    return imported;
  }
  // A plugin seen for the first time starts after the newest event of the site (as the original's first
  // start), not at the fetcher's head, which lags while the daemon catches up after a pause.
  if (!probe_) {
    probe_ = deps_.makeClient();
  }
  const auto head = fetcher_->newestEventId(probe_.get()).value_or(window_.head());
  log_->info(fmt::format("Plugin {} has no saved position; it starts after event {}.", id.name, head));
  Progress fresh(head, {});
  // Saved at once, so a restart before its first event does not move its start forward.
  (void)deps_.store.commit({fresh.checkpoint(id.collection, id.name)});
  return fresh;
}

LanePositions Engine::lanePositions() const {
  std::lock_guard lock(lanesMutex_);
  LanePositions out;
  for (const auto& lane : lanes_) {
    if (auto p = lane->positions()) {
      out.fastest = out.any ? std::max(out.fastest, p->second) : p->second;
      out.slowest = out.any ? std::min(out.slowest, p->first) : p->first;
      out.any = true;
    }
  }
  return out;
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
    stored_[c.collection + "::" + c.plugin] = std::move(c);
  }
  fetcher_ = std::make_unique<Fetcher>(options_.fetcher, deps_.makeClient(), window_, gaps_, log_,
                                       deps_.clock, deps_.shutdown);
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
  fetcher_->setLanePositions([this] { return lanePositions(); });
  fetcher_->setHeadListener([this](std::int64_t h) {
    const auto now = std::chrono::steady_clock::now();
    if (now - lastHeadSave_ >= std::chrono::seconds(1)) {
      lastHeadSave_ = now;
      (void)deps_.store.setHead(h);
    }
  });
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
  auto slots = deps_.plugins.refresh(force);
  std::lock_guard lock(lanesMutex_);
  std::map<std::string, bool> present;
  for (std::size_t index = 0; index < slots.size(); ++index) {
    auto& slot = slots[index];
    const auto key = slot.id.key();
    present[key] = true;
    if (!slot.plugin) {
      log_->error(fmt::format("Plugin {} is inactive: {}", slot.id.name, slot.loadError));
    }
    if (auto it = placements_.find(key); it != placements_.end()) {
      if (it->second.generation != slot.generation) {
        it->second.generation = slot.generation;
        it->second.lane->replacePlugin(key, slot.plugin, slot.loadError);
      }
      continue;
    }
    const auto state = slot.plugin ? store::PluginState::Active : store::PluginState::LoadFailed;
    (void)deps_.store.setPluginStatus(
        {slot.id.collection, slot.id.name, state, slot.loadError, deps_.clock->now()});
    Lane* lane = nullptr;
    if (options_.strictOrder && !lanes_.empty()) {
      lane = lanes_.front().get();
    } else {
      lanes_.push_back(std::make_unique<Lane>(options_.strictOrder ? "strict" : slot.id.name, options_.lane,
                                              laneContext()));
      lane = lanes_.back().get();
      lane->start();
    }
    lane->addMember(slot.id, slot.plugin, slot.loadError, startingProgress(slot.id), policyFor(slot.id.name),
                    index);
    placements_[key] = Placement{lane, slot.generation};
  }
  for (auto it = placements_.begin(); it != placements_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    log_->info(fmt::format("Plugin {} was removed; its position is kept for when it returns.", it->first));
    Lane* lane = it->second.lane;
    lane->removeMember(it->first);
    it = placements_.erase(it);
    if (!options_.strictOrder) {
      lane->stop();
      std::erase_if(lanes_, [lane](const auto& l) { return l.get() == lane; });
    }
  }
}

void Engine::stop() {
  if (fetcher_) {
    fetcher_->stop();
  }
  std::lock_guard lock(lanesMutex_);
  for (auto& lane : lanes_) {
    lane->requestStop();
  }
  for (auto& lane : lanes_) {
    lane->stop();
  }
  if (started_) {
    (void)deps_.store.setHead(window_.head());
    log_->debug("Shuting down event processing loop.");
    started_ = false;
  }
}

EngineStatus Engine::status() const {
  EngineStatus out;
  if (fetcher_) {
    out.fetcher = fetcher_->status();
  }
  std::lock_guard lock(lanesMutex_);
  for (const auto& lane : lanes_) {
    for (auto& s : lane->status()) {
      out.plugins.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace sgeventd::engine
