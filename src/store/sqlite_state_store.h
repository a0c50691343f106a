#pragma once
// StateStore over one SQLite connection. Commits from many lane threads are grouped: the first caller
// to find no commit in progress becomes the leader, writes every pending request in one transaction
// (one fsync) and wakes the others; a lone caller therefore pays exactly one plain transaction.
#include <condition_variable>
#include <deque>
#include <mutex>

#include "store/daemon_lock.h"
#include "store/sqlite_handle.h"
#include "store/state_store.h"

namespace sgeventd::store {

class SqliteStateStore final : public StateStore {
 public:
  SqliteStateStore(std::string path, OpenMode mode, Connection db, DaemonLock lock,
                   std::vector<std::string> warnings);

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

  Expected<std::optional<std::string>> meta(const std::string& key) override;
  Expected<void> setMeta(const std::string& key, const std::string& value) override;

  const std::vector<std::string>& warnings() const override { return warnings_; }
  const std::string& path() const override { return path_; }

  // How many transactions commit() has run: grouped commits make this smaller than the call count.
  std::uint64_t commitTransactionsForTest() const;

 private:
  struct PendingCommit {
    const std::vector<Checkpoint>* checkpoints = nullptr;
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
  Expected<void> prepareCommitStatements();
  // Runs one group of pending commits as a single transaction; fills each request's result.
  void runGroup(const std::vector<PendingCommit*>& group);
  Expected<void> writeRequest(const std::vector<Checkpoint>& checkpoints);
  Expected<void> writeCheckpoint(const Checkpoint& checkpoint);
  Expected<std::vector<GapRange>> loadGaps(const std::string& collection, const std::string& plugin);

  const std::string path_;
  const OpenMode mode_;
  DaemonLock lock_;
  std::vector<std::string> warnings_;

  std::mutex dbMutex_;  // one writer at a time on the connection; guards db_ and statements_
  Connection db_;
  std::optional<CommitStatements> statements_;

  mutable std::mutex queueMutex_;
  std::condition_variable queueChanged_;
  std::deque<PendingCommit*> pending_;
  bool leaderActive_ = false;
  std::uint64_t commitTransactions_ = 0;
};

}  // namespace sgeventd::store
