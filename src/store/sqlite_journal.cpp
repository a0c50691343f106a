// SqliteStateStore's side of the cursor journal (cursor_journal.h): what an earlier run left in it is
// folded into SQLite at open, and readers merge what the running daemon holds there.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "store/sqlite_state_store.h"

namespace sgeventd::store {

Expected<void> SqliteStateStore::startJournal() {
  std::lock_guard dbLock(dbMutex_);
  auto newest = db_.prepare("SELECT coalesce(max(updated_at), 0) FROM checkpoints");
  if (!newest) {
    return tl::unexpected(newest.error());
  }
  if (auto row = newest->step(); row && *row) {
    lastStamp_ = newest->int64(0);
  }
  if (mode_ == OpenMode::ReadOnly) {
    return {};
  }
  SGEVENTD_TRY(foldJournalOfEarlierRun());
  if (mode_ == OpenMode::Daemon && sync_ == SyncMode::Normal) {
    auto journal = CursorJournal::openForWriting(path_);
    if (!journal) {
      return tl::unexpected(journal.error());
    }
    journal->reset();
    cursors_ = std::make_unique<JournaledCursors>(std::move(*journal));
    return {};
  }
  // Every commit of this run goes to SQLite: a journal left there would only be merged again.
  if (::unlink(journalPathOf(path_).c_str()) != 0 && errno != ENOENT) {
    return fail("cannot remove the cursor journal " + journalPathOf(path_) + ": " + std::strerror(errno));
  }
  return {};
}

Expected<void> SqliteStateStore::foldJournalOfEarlierRun() {
  auto entries = CursorJournal::readEntries(path_);
  if (!entries) {
    return tl::unexpected(entries.error());
  }
  if (entries->empty()) {
    return {};
  }
  std::unordered_map<std::uint64_t, JournalEntry> byKey;
  for (const auto& e : *entries) {
    byKey[e.key] = e;
  }
  SGEVENTD_TRY(db_.exec("BEGIN IMMEDIATE"));
  auto fold = [&]() -> Expected<void> {
    auto rows = db_.prepare("SELECT collection, plugin, cursor, updated_at FROM checkpoints");
    auto update = db_.prepare(
        "UPDATE checkpoints SET cursor = ?1, updated_at = ?2 WHERE collection = ?3 AND plugin = ?4");
    if (!rows || !update) {
      return tl::unexpected(!rows ? rows.error() : update.error());
    }
    struct Move {
      std::string collection;
      std::string plugin;
      std::int64_t cursor;
    };
    std::vector<Move> moves;
    for (;;) {
      auto row = rows->step();
      if (!row) {
        return tl::unexpected(row.error());
      }
      if (!*row) {
        break;
      }
      const auto it = byKey.find(journalKey(rows->text(0), rows->text(1)));
      // Only a slot built on this very row is believed; the gaps stay those of the row.
      if (it != byKey.end() && it->second.stamp == rows->int64(3) && it->second.cursor > rows->int64(2)) {
        moves.push_back({rows->text(0), rows->text(1), it->second.cursor});
      }
    }
    for (const auto& m : moves) {
      SGEVENTD_TRY(
          update->bind(1, m.cursor).bind(2, nextStamp()).bind(3, m.collection).bind(4, m.plugin).run());
    }
    return {};
  };
  auto folded = fold();
  auto committed = folded ? db_.exec("COMMIT") : folded;
  if (!committed) {
    (void)db_.exec("ROLLBACK");
    return tl::unexpected(
        Error{"cannot fold the cursor journal into " + path_ + ": " + committed.error().message, 0});
  }
  return {};
}

Expected<std::vector<JournalEntry>> SqliteStateStore::foreignJournal() const {
  if (mode_ != OpenMode::ReadOnly) {
    return std::vector<JournalEntry>{};  // a writer folded it at open and keeps its own in memory
  }
  return CursorJournal::readEntries(path_);
}

std::int64_t SqliteStateStore::mergedCursor(const std::string& collection, const std::string& plugin,
                                            std::int64_t sqliteCursor, std::int64_t stamp,
                                            const std::vector<JournalEntry>& foreign) const {
  if (cursors_) {
    return std::max(sqliteCursor, cursors_->aheadOfSqlite(collection, plugin).value_or(0));
  }
  if (foreign.empty()) {
    return sqliteCursor;
  }
  const auto key = journalKey(collection, plugin);
  for (const auto& e : foreign) {
    if (e.key == key && e.stamp == stamp && e.cursor > sqliteCursor) {
      return e.cursor;
    }
  }
  return sqliteCursor;
}

}  // namespace sgeventd::store
