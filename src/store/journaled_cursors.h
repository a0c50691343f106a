#pragma once
// The state store's fast path under state_sync = normal: a commit that only moves cursors forward, with
// every plugin's gaps as SQLite last committed them, goes to the cursor journal (cursor_journal.h) instead
// of a SQLite transaction. At most once per fold interval a commit takes the SQLite path anyway and carries
// every cursor the journal holds ahead of SQLite along with it, so SQLite stays close behind and a reader in
// another process, or the next start, has little to merge.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/cursor_journal.h"
#include "store/state_store.h"

namespace sgeventd::store {

class JournaledCursors {
 public:
  static constexpr std::chrono::seconds kFoldEvery{1};

  explicit JournaledCursors(CursorJournal journal);

  // True when every checkpoint went to the journal: each plugin has a row SQLite committed, the same
  // gaps, a cursor no lower than before and a slot. False leaves everything to the SQLite path.
  bool tryCommit(const std::vector<Checkpoint>& checkpoints);
  // The cursor the journal holds for the plugin, when it is ahead of what SQLite has.
  std::optional<std::int64_t> aheadOfSqlite(const std::string& collection, const std::string& plugin) const;
  // The highest cursor committed either way, so the SQLite path can refuse a move backwards.
  std::optional<std::int64_t> cursor(const std::string& collection, const std::string& plugin) const;
  // The SQLite path wrote `checkpoint` in a transaction that committed, with that row's new updated_at.
  // `rewind`: an operator's move, which may lower the cursor; otherwise a journal cursor that went further
  // meanwhile (its lane committed while another lane's transaction folded it) is kept, on the new row.
  void committedToSqlite(const Checkpoint& checkpoint, std::int64_t stamp, bool rewind);
  // Whether the next SQLite transaction should carry the journal's cursors (foldable()); true once per
  // kFoldEvery while some cursor is ahead.
  bool foldDue() const;
  std::vector<Checkpoint> foldable() const;
  void markFolded();
  Expected<void> sync() { return journal_.sync(); }

 private:
  struct Plugin {
    std::string collection;
    std::string name;
    std::uint64_t key = 0;
    std::optional<std::size_t> slot;  // none once the journal's slots are all taken
    std::int64_t stamp = 0;           // updated_at of the row SQLite holds
    std::int64_t sqliteCursor = 0;
    std::int64_t cursor = 0;  // the journal's, >= sqliteCursor
    std::vector<GapRange> gaps;
  };
  static std::string keyOf(const std::string& collection, const std::string& plugin);
  bool foldDueLocked() const;  // mutex_ held

  mutable std::mutex mutex_;
  CursorJournal journal_;
  std::unordered_map<std::string, Plugin> plugins_;
  std::size_t nextSlot_ = 0;
  std::size_t ahead_ = 0;  // plugins whose journal cursor is ahead of SQLite
  std::chrono::steady_clock::time_point lastFold_;
};

}  // namespace sgeventd::store
