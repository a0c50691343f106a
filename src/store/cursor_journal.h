#pragma once
// Under state_sync = normal, a commit that only moves a plugin's cursor forward (its gaps unchanged) is
// the per-event cost of every busy lane. A SQLite transaction for it costs tens of microseconds of
// locks, writes and system calls; this journal makes it a few stores into a shared file mapping instead.
// Stores into a MAP_SHARED page are in the page cache the moment they execute, so they survive any
// crash of the process (kill -9 included) exactly as a SQLite commit without fsync does.
//
// The file `<database>-cursors` holds fixed 64-byte slots, one per plugin. A slot names its plugin by a
// hash of (collection, plugin) and says "cursor C, on top of the checkpoint row SQLite committed with
// stamp S" (the row's updated_at, unique per commit). It is only believed when SQLite still holds that
// very row: a power cut that rolled SQLite back (or a later commit of the row) makes it stale, and a stale
// slot is ignored, which re-runs events but never skips one. Each slot has two copies written in turn,
// each with a checksum, so a write cut short leaves the previous copy intact.
//
// The 64-byte header holds the magic and, at kJournalWrittenOffset, a word the writer sets after every
// change and the background syncer (wal_syncer.h) clears before each flush: an idle daemon's journal is
// not flushed every interval, because an fdatasync of an unchanged file still makes ext4 flush the disk's
// write cache.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"
#include "core/unique_fd.h"

namespace sgeventd::store {

// What a slot says, once its checksum holds.
struct JournalEntry {
  std::uint64_t key = 0;    // journalKey(collection, plugin)
  std::int64_t stamp = 0;   // updated_at of the SQLite row the cursor builds on
  std::int64_t cursor = 0;  // every id up to here is done, gaps as in that row
};

inline constexpr std::size_t kJournalWrittenOffset = 8;

std::uint64_t journalKey(std::string_view collection, std::string_view plugin);
std::string journalPathOf(const std::string& databasePath);

class CursorJournal {
 public:
  static constexpr std::size_t kSlots = 4096;  // plugins past this many commit through SQLite alone

  // The writer's journal, created when missing. Entries of an earlier run are readable until reset().
  static Expected<CursorJournal> openForWriting(const std::string& databasePath);
  // What a journal on disk says, for a reader beside a running daemon or for recovery; empty when there is
  // no journal (state_sync = full, or a state from before it).
  static Expected<std::vector<JournalEntry>> readEntries(const std::string& databasePath);

  CursorJournal(CursorJournal&& other) noexcept;
  CursorJournal& operator=(CursorJournal&& other) noexcept;
  CursorJournal(const CursorJournal&) = delete;
  CursorJournal& operator=(const CursorJournal&) = delete;
  ~CursorJournal();

  std::vector<JournalEntry> entries() const;
  // Forgets every slot: called once their cursors are folded into SQLite.
  void reset();
  // Writes slot `slot` (< kSlots). Not thread-safe per slot: one writer at a time.
  void write(std::size_t slot, const JournalEntry& entry);
  // Flushes the mapping to disk (the background syncer's job under state_sync = normal).
  Expected<void> sync();

 private:
  CursorJournal(core::UniqueFd fd, void* map, std::string path);
  void markWritten();
  core::UniqueFd fd_;
  void* map_ = nullptr;
  std::string path_;
  std::vector<std::uint8_t> nextCopy_;  // per slot: which of its two copies the next write takes
};

}  // namespace sgeventd::store
