#pragma once
// StateStore over one SQLite connection. Commits from many lane threads are grouped: the first caller
// to find no commit in progress becomes the leader, writes every pending request in one transaction
// (one fsync) and wakes the others; a lone caller therefore pays exactly one plain transaction.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

#include "store/daemon_lock.h"
#include "store/journaled_cursors.h"
#include "store/sqlite_handle.h"
#include "store/state_store.h"

namespace sgeventd::store {

class SqliteStateStore final : public StateStore {
 public:
  SqliteStateStore(std::string path, OpenMode mode, SyncMode sync, StateOrigin origin, Connection db,
                   DaemonLock lock, std::vector<std::string> warnings);
  // A database lost while the daemon ran is rewritten before the connection closes, so a stop right
  // after the loss still leaves the state on disk.
  ~SqliteStateStore() override;

  Expected<std::vector<Checkpoint>> loadCheckpoints() override;
  Expected<std::optional<Checkpoint>> loadCheckpoint(const std::string& collection,
                                                     const std::string& plugin) override;
  Expected<void> commit(const std::vector<Checkpoint>& checkpoints) override;
  Expected<void> setCursor(const std::string& collection, const std::string& plugin,
                           std::int64_t cursor) override;

  Expected<void> recordFailure(const FailureRecord& failure) override;
  Expected<std::vector<FailureRecord>> failures(std::optional<std::string> plugin, int limit) override;
  Expected<std::optional<FailureRecord>> failure(std::int64_t id) override;

  Expected<void> setPluginStatus(const PluginStatus& status) override;
  Expected<std::vector<PluginStatus>> pluginStatuses() override;

  Expected<void> setHead(std::int64_t head) override;
  Expected<std::optional<std::int64_t>> head() override;

  Expected<CrashCount> countCrash(const CrashCount& crash) override;
  Expected<std::vector<CrashCount>> crashCounts() override;
  Expected<void> clearCrashCount(const std::string& collection, const std::string& plugin) override;
  Expected<void> setCrashIsolation(const CrashIsolation& isolation) override;
  Expected<std::vector<CrashIsolation>> crashIsolations() override;
  Expected<void> clearCrashIsolation(const std::string& collection, const std::string& plugin) override;

  Expected<std::optional<std::string>> meta(const std::string& key) override;
  Expected<void> setMeta(const std::string& key, const std::string& value) override;

  const std::vector<std::string>& warnings() const override { return warnings_; }
  const std::string& path() const override { return path_; }
  StateOrigin origin() const override { return origin_; }
  void setCriticalLog(std::function<void(const std::string&)> critical) override;

  // How many transactions commit() has run: grouped commits make this smaller than the call count.
  std::uint64_t commitTransactionsForTest() const;
  // After construction, before any other call: folds what a cursor journal of an earlier run holds into
  // SQLite, then starts this run's journal when commits may use it (a daemon under SyncMode::Normal).
  Expected<void> startJournal();

 private:
  struct PendingCommit {
    const std::vector<Checkpoint>* checkpoints = nullptr;
    std::vector<std::int64_t> stamps;  // updated_at given to each checkpoint's row
    Expected<void> result;
    bool done = false;
  };
  // Statements of the commit path, prepared once.
  struct CommitStatements {
    Statement selectCursor;
    Statement upsertCheckpoint;
    Statement deleteGaps;
    Statement insertGap;
  };

  Expected<void> writable() const;
  // Called with dbMutex_ held before every write (state_rescue.cpp): when the path no longer leads to the
  // file this daemon locked (deleted, or another file moved there), the state this connection still
  // holds is written to a new file at the path, which gets the lock, and the loss is logged at CRITICAL.
  void keepIdentity();
  Expected<void> rewriteLostDatabase(bool replaced);
  void critical(const std::string& line) const;
  Expected<void> prepareCommitStatements();
  // Runs one group of pending commits as a single transaction; fills each request's result.
  void runGroup(const std::vector<PendingCommit*>& group);
  Expected<void> writeRequest(const std::vector<Checkpoint>& checkpoints, std::vector<std::int64_t>& stamps);
  // Returns the row's new updated_at: strictly increasing across this store's writes, so a journal slot
  // built on one commit of a row never matches another.
  Expected<std::int64_t> writeCheckpoint(const Checkpoint& checkpoint);
  Expected<void> foldJournalOfEarlierRun();
  // Writes every cursor the journal holds ahead of SQLite, in one transaction; dbMutex_ held.
  Expected<void> foldNow();
  // Within an open transaction: each checkpoint's row, returning the stamps they got.
  Expected<std::vector<std::int64_t>> writeCheckpoints(const std::vector<Checkpoint>& checkpoints);
  // After the transaction that wrote `folded` (the journal's cursors) committed.
  void foldedIntoSqlite(const std::vector<Checkpoint>& folded, const std::vector<std::int64_t>& stamps);
  // A row's next updated_at: now, or one past the last stamp given, whichever is later.
  std::int64_t nextStamp();
  // Cursors the journal holds ahead of SQLite, for readers: this process's own, or a reader's look at
  // the running daemon's journal file.
  std::int64_t mergedCursor(const std::string& collection, const std::string& plugin,
                            std::int64_t sqliteCursor, std::int64_t stamp,
                            const std::vector<JournalEntry>& foreign) const;
  Expected<std::vector<JournalEntry>> foreignJournal() const;
  Expected<std::vector<GapRange>> loadGaps(const std::string& collection, const std::string& plugin);

  const std::string path_;
  const OpenMode mode_;
  const SyncMode sync_;
  const StateOrigin origin_;
  DaemonLock lock_;
  std::vector<std::string> warnings_;

  std::mutex dbMutex_;  // one writer at a time on the connection; guards db_, statements_, lock_ and below
  std::optional<FileIdentity> identity_;  // of the locked file; unset for a reader
  std::function<void(const std::string&)> critical_;
  bool rewriteFailing_ = false;  // the failure was logged once; the next success says so
  Connection db_;
  std::optional<CommitStatements> statements_;
  std::int64_t lastStamp_ = 0;
  std::unique_ptr<JournaledCursors> cursors_;  // set by startJournal(); never reset after

  mutable std::mutex queueMutex_;
  std::condition_variable queueChanged_;
  std::deque<PendingCommit*> pending_;
  bool leaderActive_ = false;
  std::uint64_t commitTransactions_ = 0;
};

}  // namespace sgeventd::store
