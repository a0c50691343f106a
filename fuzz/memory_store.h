#pragma once
// The fuzz targets' state store: a map in memory, so an importer run costs no SQLite file, and each input
// starts from an empty store (the importer's once-only guard would otherwise stop every run after the
// first).
#include <map>
#include <string>
#include <utility>

#include "store/state_store.h"

namespace sgeventd::fuzz {

class MemoryStore final : public store::StateStore {
 public:
  Expected<std::vector<store::Checkpoint>> loadCheckpoints() override {
    std::vector<store::Checkpoint> all;
    for (const auto& [key, checkpoint] : checkpoints_) {
      all.push_back(checkpoint);
    }
    return all;
  }
  Expected<std::optional<store::Checkpoint>> loadCheckpoint(const std::string& collection,
                                                            const std::string& plugin) override {
    const auto it = checkpoints_.find({collection, plugin});
    return it == checkpoints_.end() ? std::nullopt : std::optional<store::Checkpoint>(it->second);
  }
  Expected<void> commit(const std::vector<store::Checkpoint>& checkpoints) override {
    for (const auto& c : checkpoints) {
      checkpoints_[{c.collection, c.plugin}] = c;
    }
    return {};
  }
  Expected<void> setCursor(const std::string& collection, const std::string& plugin,
                           std::int64_t cursor) override {
    checkpoints_[{collection, plugin}] = store::Checkpoint{collection, plugin, cursor, {}};
    return {};
  }
  Expected<void> recordFailure(const store::FailureRecord&) override { return {}; }
  Expected<std::vector<store::FailureRecord>> failures(std::optional<std::string>, int) override {
    return std::vector<store::FailureRecord>{};
  }
  Expected<std::optional<store::FailureRecord>> failure(std::int64_t) override { return std::nullopt; }
  Expected<void> setPluginStatus(const store::PluginStatus&) override { return {}; }
  Expected<std::vector<store::PluginStatus>> pluginStatuses() override {
    return std::vector<store::PluginStatus>{};
  }
  Expected<void> setHead(std::int64_t head) override {
    head_ = head;
    return {};
  }
  Expected<std::optional<std::int64_t>> head() override { return head_; }
  Expected<std::optional<std::string>> meta(const std::string& key) override {
    const auto it = meta_.find(key);
    return it == meta_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  Expected<void> setMeta(const std::string& key, const std::string& value) override {
    meta_[key] = value;
    return {};
  }
  const std::vector<std::string>& warnings() const override { return warnings_; }
  const std::string& path() const override { return path_; }

 private:
  std::map<std::pair<std::string, std::string>, store::Checkpoint> checkpoints_;
  std::map<std::string, std::string> meta_;
  std::optional<std::int64_t> head_;
  std::vector<std::string> warnings_;
  std::string path_ = ":memory:";
};

}  // namespace sgeventd::fuzz
