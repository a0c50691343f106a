#pragma once
// state_sync = normal leaves SQLite's write-ahead log to the OS between checkpoints, so a power cut could
// roll back any number of commits. The syncer bounds that window: every `interval` it flushes the WAL
// file to disk if it changed since the last flush, from its own descriptor so it never takes SQLite's
// locks or waits for a lane's commit. The cursor journal (cursor_journal.h), where most commits go under
// this mode, is flushed on the same beat when its writer marked it changed (and once at the start, for
// what an earlier run left in the page cache).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "core/log.h"
#include "core/unique_fd.h"

namespace sgeventd::store {

class WalSyncer {
 public:
  // Starts the background thread; `interval` of zero starts none (syncNow() still works).
  WalSyncer(const std::string& databasePath, std::chrono::milliseconds interval, core::LoggerPtr log);
  ~WalSyncer();  // stops the thread after one last flush
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Flushes the WAL now if it changed since the last flush; true when it did. The cursor journal is
  // flushed too if it changed.
  bool syncNow();
  std::uint64_t flushes() const;
  std::uint64_t journalFlushes() const;

 private:
  void run();
  bool syncWal();
  void syncJournal();
  bool reopenIfReplaced();

  const std::string walPath_;
  const std::string journalPath_;
  const std::chrono::milliseconds interval_;
  core::LoggerPtr log_;

  mutable std::mutex mutex_;  // guards everything below; syncNow() and the thread may race
  core::UniqueFd fd_;
  core::UniqueFd journalFd_;
  void* journalHeader_ = nullptr;  // the journal's first page, for its written word
  std::size_t journalHeaderSize_ = 0;
  std::uint64_t journalFlushes_ = 0;
  bool journalFailing_ = false;
  std::int64_t lastSize_ = -1;
  std::int64_t lastModifiedNanos_ = -1;
  std::uint64_t flushes_ = 0;
  bool failing_ = false;  // a failed flush was logged; the next success says so
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace sgeventd::store
