#pragma once
// Test doubles for the engine: an in-memory state store and scriptable plugins.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "../support/manual_clock.h"
#include "core/clock.h"
#include "core/event.h"
#include "plugins/plugin.h"
#include "shotgrid/event_reader.h"
#include "store/state_store.h"

namespace sgeventd::testing {

class FakeStateStore final : public store::StateStore {
 public:
  Expected<std::vector<store::Checkpoint>> loadCheckpoints() override {
    std::lock_guard lock(mutex_);
    std::vector<store::Checkpoint> out;
    for (const auto& [k, v] : checkpoints_) {
      out.push_back(v);
    }
    return out;
  }
  Expected<std::optional<store::Checkpoint>> loadCheckpoint(const std::string& c,
                                                            const std::string& p) override {
    std::lock_guard lock(mutex_);
    auto it = checkpoints_.find(c + "::" + p);
    if (it == checkpoints_.end()) {
      return std::optional<store::Checkpoint>{};
    }
    return std::optional<store::Checkpoint>{it->second};
  }
  Expected<void> commit(const std::vector<store::Checkpoint>& cps) override {
    std::lock_guard lock(mutex_);
    for (const auto& c : cps) {
      auto& slot = checkpoints_[c.collection + "::" + c.plugin];
      if (c.cursor < slot.cursor) {
        backwards_ = true;
      }
      slot = c;
    }
    ++commits_;
    return {};
  }
  Expected<void> setCursor(const std::string& c, const std::string& p, std::int64_t cursor) override {
    std::lock_guard lock(mutex_);
    checkpoints_[c + "::" + p] = store::Checkpoint{c, p, cursor, {}};
    ++cursorSets_;
    return {};
  }
  int cursorSets() {
    std::lock_guard lock(mutex_);
    return cursorSets_;
  }
  std::optional<store::PluginStatus> status(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = statuses_.find(key);
    return it == statuses_.end() ? std::nullopt : std::optional<store::PluginStatus>(it->second);
  }
  const std::vector<std::string>& warnings() const override { return warnings_; }
  const std::string& path() const override { return path_; }
  Expected<void> recordFailure(const store::FailureRecord& f) override {
    std::lock_guard lock(mutex_);
    failures_.push_back(f);
    failures_.back().id = static_cast<std::int64_t>(failures_.size());
    return {};
  }
  Expected<std::optional<store::FailureRecord>> failure(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    if (id < 1 || id > static_cast<std::int64_t>(failures_.size())) {
      return std::optional<store::FailureRecord>{};
    }
    return std::optional<store::FailureRecord>{failures_[static_cast<std::size_t>(id - 1)]};
  }
  Expected<std::vector<store::FailureRecord>> failures(std::optional<std::string>, int) override {
    std::lock_guard lock(mutex_);
    return failures_;
  }
  Expected<void> setPluginStatus(const store::PluginStatus& s) override {
    std::lock_guard lock(mutex_);
    statuses_[s.collection + "::" + s.plugin] = s;
    return {};
  }
  Expected<std::vector<store::PluginStatus>> pluginStatuses() override {
    std::lock_guard lock(mutex_);
    std::vector<store::PluginStatus> out;
    for (const auto& [k, v] : statuses_) {
      out.push_back(v);
    }
    return out;
  }
  Expected<void> setHead(std::int64_t h) override {
    head_ = h;
    return {};
  }
  Expected<std::optional<std::int64_t>> head() override {
    if (head_ == 0) {
      return std::optional<std::int64_t>{};
    }
    return std::optional<std::int64_t>{head_.load()};
  }
  Expected<std::optional<std::string>> meta(const std::string&) override {
    return std::optional<std::string>{};
  }
  Expected<void> setMeta(const std::string&, const std::string&) override { return {}; }

  store::Checkpoint checkpoint(const std::string& key) {
    std::lock_guard lock(mutex_);
    return checkpoints_[key];
  }
  std::vector<store::FailureRecord> failureList() {
    std::lock_guard lock(mutex_);
    return failures_;
  }
  bool wentBackwards() const { return backwards_; }

 private:
  std::mutex mutex_;
  std::map<std::string, store::Checkpoint> checkpoints_;
  std::map<std::string, store::PluginStatus> statuses_;
  std::vector<store::FailureRecord> failures_;
  std::atomic<std::int64_t> head_{0};
  int commits_ = 0;
  int cursorSets_ = 0;
  std::atomic<bool> backwards_{false};
  std::vector<std::string> warnings_;
  std::string path_ = ":memory:";
};

// A plugin whose callbacks record what they saw into a shared journal ("plugin.cb:id").
class RecordingPlugin final : public plugins::Plugin {
 public:
  using Behaviour = std::function<plugins::InvokeResult(const core::Event&)>;

  RecordingPlugin(std::string name, std::vector<plugins::CallbackInfo> callbacks,
                  std::shared_ptr<std::vector<std::string>> journal, std::shared_ptr<std::mutex> journalMutex)
      : callbacks_(std::move(callbacks)),
        journal_(std::move(journal)),
        journalMutex_(std::move(journalMutex)) {
    id_.collection = "/plugins";
    id_.name = std::move(name);
    id_.path = "/plugins/" + id_.name + ".so";
  }
  const plugins::PluginId& id() const override { return id_; }
  plugins::PluginKind kind() const override { return plugins::PluginKind::Native; }
  const std::vector<plugins::CallbackInfo>& callbacks() const override { return callbacks_; }
  plugins::InvokeResult invoke(std::size_t index, const core::Event& event, plugins::Deadline) override {
    {
      std::lock_guard lock(*journalMutex_);
      journal_->push_back(id_.name + "." + callbacks_[index].name + ":" + std::to_string(event.id));
    }
    if (behaviour_) {
      return behaviour_(event);
    }
    return {};
  }
  void setBehaviour(Behaviour b) { behaviour_ = std::move(b); }

 private:
  plugins::PluginId id_;
  std::vector<plugins::CallbackInfo> callbacks_;
  std::shared_ptr<std::vector<std::string>> journal_;
  std::shared_ptr<std::mutex> journalMutex_;
  Behaviour behaviour_;
};

// A site's event log in memory, answering EventQuery as the api3 client would.
class FakeEventReader final : public shotgrid::EventReader {
 public:
  struct Log {
    std::mutex mutex;
    std::map<std::int64_t, core::Event> events;
    int reads = 0;
    bool down = false;
    bool ignoresTheIdFilter = false;  // a hostile or broken server: every page starts at the log's start
  };
  explicit FakeEventReader(std::shared_ptr<Log> log) : log_(std::move(log)) {}

  shotgrid::Result<std::vector<core::Event>> readEvents(const shotgrid::EventQuery& q) override {
    std::lock_guard lock(log_->mutex);
    ++log_->reads;
    if (log_->down) {
      return tl::unexpected(shotgrid::ClientError{shotgrid::ErrorKind::Connection, "refused"});
    }
    std::vector<core::Event> out;
    for (auto it = log_->events.upper_bound(log_->ignoresTheIdFilter ? 0 : q.after); it != log_->events.end();
         ++it) {
      if (static_cast<int>(out.size()) >= q.limit || (q.before && it->first >= *q.before)) {
        break;
      }
      bool wanted = q.only.empty();
      for (const auto& [first, last] : q.only) {
        wanted = wanted || (it->first >= first && it->first <= last);
      }
      if (wanted) {
        out.push_back(it->second);
      }
    }
    return out;
  }
  shotgrid::Result<std::int64_t> newestEventId() override {
    std::lock_guard lock(log_->mutex);
    return log_->events.empty() ? 0 : log_->events.rbegin()->first;
  }

 private:
  std::shared_ptr<Log> log_;
};

inline core::EventPtr makeEvent(std::int64_t id, std::string type = "Shotgun_Shot_Change",
                                std::optional<std::string> attribute = std::string("code"),
                                std::optional<core::TimePoint> createdAt = std::chrono::system_clock::now()) {
  auto e = std::make_shared<core::Event>();
  e->id = id;
  e->eventType = std::move(type);
  e->attributeName = std::move(attribute);
  e->createdAt = createdAt;
  e->json = "{\"id\":" + std::to_string(id) + "}";
  return e;
}

}  // namespace sgeventd::testing
