#include "store/journaled_cursors.h"

namespace sgeventd::store {

JournaledCursors::JournaledCursors(CursorJournal journal)
    : journal_(std::move(journal)), lastFold_(std::chrono::steady_clock::now()) {}

std::string JournaledCursors::keyOf(const std::string& collection, const std::string& plugin) {
  std::string key;
  key.reserve(collection.size() + plugin.size() + 1);
  key.append(collection).push_back('\0');
  key.append(plugin);
  return key;
}

bool JournaledCursors::foldDue() const {
  std::lock_guard lock(mutex_);
  return foldDueLocked();
}

bool JournaledCursors::foldDueLocked() const {
  return ahead_ > 0 && std::chrono::steady_clock::now() - lastFold_ >= kFoldEvery;
}

bool JournaledCursors::tryCommit(const std::vector<Checkpoint>& checkpoints) {
  std::lock_guard lock(mutex_);
  if (foldDueLocked()) {
    return false;
  }
  std::vector<Plugin*> targets;
  targets.reserve(checkpoints.size());
  for (const auto& checkpoint : checkpoints) {
    const auto it = plugins_.find(keyOf(checkpoint.collection, checkpoint.plugin));
    if (it == plugins_.end() || !it->second.slot || checkpoint.cursor < it->second.cursor ||
        checkpoint.gaps != it->second.gaps) {
      return false;
    }
    targets.push_back(&it->second);
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    Plugin& p = *targets[i];
    if (p.cursor == p.sqliteCursor && checkpoints[i].cursor > p.sqliteCursor) {
      ++ahead_;
    }
    p.cursor = checkpoints[i].cursor;
    journal_.write(*p.slot, JournalEntry{p.key, p.stamp, p.cursor});
  }
  return true;
}

std::optional<std::int64_t> JournaledCursors::aheadOfSqlite(const std::string& collection,
                                                            const std::string& plugin) const {
  std::lock_guard lock(mutex_);
  const auto it = plugins_.find(keyOf(collection, plugin));
  if (it == plugins_.end() || it->second.cursor <= it->second.sqliteCursor) {
    return std::nullopt;
  }
  return it->second.cursor;
}

std::optional<std::int64_t> JournaledCursors::cursor(const std::string& collection,
                                                     const std::string& plugin) const {
  std::lock_guard lock(mutex_);
  const auto it = plugins_.find(keyOf(collection, plugin));
  if (it == plugins_.end()) {
    return std::nullopt;
  }
  return it->second.cursor;
}

void JournaledCursors::committedToSqlite(const Checkpoint& checkpoint, std::int64_t stamp, bool rewind) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = plugins_.try_emplace(keyOf(checkpoint.collection, checkpoint.plugin));
  Plugin& p = it->second;
  if (inserted) {
    p.collection = checkpoint.collection;
    p.name = checkpoint.plugin;
    p.key = journalKey(checkpoint.collection, checkpoint.plugin);
    if (nextSlot_ < CursorJournal::kSlots) {
      p.slot = nextSlot_++;
    }
  }
  const bool wasAhead = p.cursor > p.sqliteCursor;
  const bool wentFurther = !inserted && !rewind && p.cursor > checkpoint.cursor && p.gaps == checkpoint.gaps;
  // A rewind gets a new stamp, which no slot written before carries: their higher cursor is never believed.
  p.stamp = stamp;
  p.sqliteCursor = checkpoint.cursor;
  p.cursor = wentFurther ? p.cursor : checkpoint.cursor;
  p.gaps = checkpoint.gaps;
  if (wentFurther && p.slot) {
    journal_.write(*p.slot, JournalEntry{p.key, p.stamp, p.cursor});
  }
  const bool isAhead = p.cursor > p.sqliteCursor;
  if (wasAhead != isAhead) {
    ahead_ = isAhead ? ahead_ + 1 : ahead_ - 1;
  }
  if (ahead_ == 0) {
    lastFold_ = std::chrono::steady_clock::now();
  }
}

void JournaledCursors::markFolded() {
  std::lock_guard lock(mutex_);
  lastFold_ = std::chrono::steady_clock::now();
}

std::vector<Checkpoint> JournaledCursors::foldable() const {
  std::lock_guard lock(mutex_);
  std::vector<Checkpoint> out;
  for (const auto& [key, p] : plugins_) {
    if (p.cursor > p.sqliteCursor) {
      out.push_back(Checkpoint{p.collection, p.name, p.cursor, p.gaps});
    }
  }
  return out;
}

}  // namespace sgeventd::store
