#include "store/sqlite_state_store.h"

#include <utility>

namespace sgeventd::store {

namespace {

constexpr int kFailuresKept = 10000;

std::int64_t toMicros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TimePoint fromMicros(std::int64_t micros) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(micros)));
}

std::string_view stateText(PluginState state) { return pluginStateName(state); }

PluginState stateFromText(const std::string& text) {
  if (text == "inactive") {
    return PluginState::Inactive;
  }
  if (text == "load-failed") {
    return PluginState::LoadFailed;
  }
  if (text == "disabled") {
    return PluginState::Disabled;
  }
  return PluginState::Active;
}

#define FAILURE_COLUMNS \
  "collection, plugin, callback, event_id, attempts, error, at, is_final, event_json, id"

FailureRecord failureFromRow(const Statement& row) {
  return FailureRecord{row.text(0),
                       row.text(1),
                       row.text(2),
                       row.int64(3),
                       static_cast<int>(row.int64(4)),
                       row.text(5),
                       fromMicros(row.int64(6)),
                       row.int64(7) != 0,
                       row.text(8),
                       row.int64(9)};
}

Error withContext(const Error& error, const std::string& what) {
  return Error{what + ": " + error.message, error.code};
}

}  // namespace

std::string_view pluginStateName(PluginState state) {
  switch (state) {
    case PluginState::Active:
      return "active";
    case PluginState::Inactive:
      return "inactive";
    case PluginState::LoadFailed:
      return "load-failed";
    case PluginState::Disabled:
      return "disabled";
  }
  return "active";
}

SqliteStateStore::SqliteStateStore(std::string path, OpenMode mode, SyncMode sync, StateOrigin origin,
                                   Connection db, DaemonLock lock, std::vector<std::string> warnings)
    : path_(std::move(path)),
      mode_(mode),
      sync_(sync),
      origin_(origin),
      lock_(std::move(lock)),
      warnings_(std::move(warnings)),
      identity_(lock_.identity()),
      db_(std::move(db)) {}

SqliteStateStore::~SqliteStateStore() {
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  // A clean stop leaves SQLite with every cursor, so the next start has nothing to merge.
  if (cursors_) {
    if (auto folded = foldNow(); !folded) {
      critical("Could not fold the cursor journal into " + path_ + " at stop (" + folded.error().message +
               "); the next start reads it from " + journalPathOf(path_) + ".");
    }
  }
}

void SqliteStateStore::setCriticalLog(std::function<void(const std::string&)> critical) {
  std::lock_guard dbLock(dbMutex_);
  critical_ = std::move(critical);
}

void SqliteStateStore::critical(const std::string& line) const {
  if (critical_) {
    critical_(line);
  }
}

Expected<void> SqliteStateStore::writable() const {
  if (mode_ == OpenMode::ReadOnly) {
    return fail("state database " + path_ + " is open read-only");
  }
  return {};
}

Expected<void> SqliteStateStore::prepareCommitStatements() {
  if (statements_) {
    return {};
  }
  auto selectCursor =
      db_.prepare("SELECT cursor FROM checkpoints WHERE collection = ?1 AND plugin = ?2", true);
  auto upsert = db_.prepare(
      "INSERT INTO checkpoints (collection, plugin, cursor, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (collection, plugin) DO UPDATE SET cursor = excluded.cursor, updated_at = "
      "excluded.updated_at",
      true);
  auto deleteGaps = db_.prepare("DELETE FROM gaps WHERE collection = ?1 AND plugin = ?2", true);
  auto insertGap = db_.prepare(
      "INSERT INTO gaps (collection, plugin, first_id, last_id, expires) VALUES (?1, ?2, ?3, ?4, ?5)", true);
  for (const auto* prepared : {&selectCursor, &upsert, &deleteGaps, &insertGap}) {
    if (!*prepared) {
      return tl::unexpected(prepared->error());
    }
  }
  statements_.emplace(CommitStatements{std::move(*selectCursor), std::move(*upsert), std::move(*deleteGaps),
                                       std::move(*insertGap)});
  return {};
}

Expected<void> SqliteStateStore::commit(const std::vector<Checkpoint>& checkpoints) {
  SGEVENTD_TRY(writable());
  if (cursors_ && cursors_->tryCommit(checkpoints)) {
    return {};
  }
  PendingCommit mine;
  mine.checkpoints = &checkpoints;
  std::unique_lock lock(queueMutex_);
  pending_.push_back(&mine);
  while (!mine.done) {
    if (leaderActive_) {
      queueChanged_.wait(lock);
      continue;
    }
    // Lead one group: everything pending now, including our own request.
    leaderActive_ = true;
    std::vector<PendingCommit*> group(pending_.begin(), pending_.end());
    pending_.clear();
    lock.unlock();
    runGroup(group);
    lock.lock();
    for (auto* request : group) {
      request->done = true;
    }
    ++commitTransactions_;
    leaderActive_ = false;
    queueChanged_.notify_all();
  }
  return std::move(mine.result);
}

std::uint64_t SqliteStateStore::commitTransactionsForTest() const {
  std::lock_guard lock(queueMutex_);
  return commitTransactions_;
}

void SqliteStateStore::runGroup(const std::vector<PendingCommit*>& group) {
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  auto failAll = [&](const Error& error) {
    for (auto* request : group) {
      request->result = tl::unexpected(withContext(error, "cannot commit checkpoints to " + path_));
    }
  };
  if (auto prepared = prepareCommitStatements(); !prepared) {
    failAll(prepared.error());
    return;
  }
  if (auto begun = db_.exec("BEGIN IMMEDIATE"); !begun) {
    failAll(begun.error());
    return;
  }
  // Once per fold interval, the cursors the journal holds ahead of SQLite ride along.
  std::vector<Checkpoint> folded;
  std::vector<std::int64_t> foldStamps;
  if (cursors_ && cursors_->foldDue()) {
    folded = cursors_->foldable();
    auto stamps = writeCheckpoints(folded);
    if (!stamps) {
      (void)db_.exec("ROLLBACK");
      failAll(stamps.error());
      return;
    }
    foldStamps = std::move(*stamps);
  }
  const bool isolate = group.size() > 1;
  for (auto* request : group) {
    // A savepoint per request, so one refused request leaves the others of its group intact.
    if (isolate) {
      if (auto saved = db_.exec("SAVEPOINT request"); !saved) {
        (void)db_.exec("ROLLBACK");
        failAll(saved.error());
        return;
      }
    }
    request->result = writeRequest(*request->checkpoints, request->stamps);
    if (isolate) {
      auto closed =
          request->result ? db_.exec("RELEASE request") : db_.exec("ROLLBACK TO request; RELEASE request");
      if (!closed) {
        (void)db_.exec("ROLLBACK");
        failAll(closed.error());
        return;
      }
    } else if (!request->result) {
      (void)db_.exec("ROLLBACK");
      return;
    }
  }
  if (auto committed = db_.exec("COMMIT"); !committed) {
    (void)db_.exec("ROLLBACK");
    failAll(committed.error());
    return;
  }
  if (cursors_) {
    foldedIntoSqlite(folded, foldStamps);
    for (auto* request : group) {
      for (std::size_t i = 0; request->result && i < request->stamps.size(); ++i) {
        cursors_->committedToSqlite((*request->checkpoints)[i], request->stamps[i], false);
      }
    }
  }
}

Expected<void> SqliteStateStore::foldNow() {
  auto folded = cursors_->foldable();
  if (folded.empty()) {
    return {};
  }
  SGEVENTD_TRY(prepareCommitStatements());
  SGEVENTD_TRY(db_.exec("BEGIN IMMEDIATE"));
  auto stamps = writeCheckpoints(folded);
  auto committed = stamps ? db_.exec("COMMIT") : Expected<void>(tl::unexpected(stamps.error()));
  if (!committed) {
    (void)db_.exec("ROLLBACK");
    return committed;
  }
  foldedIntoSqlite(folded, *stamps);
  return {};
}

Expected<std::vector<std::int64_t>> SqliteStateStore::writeCheckpoints(
    const std::vector<Checkpoint>& checkpoints) {
  std::vector<std::int64_t> stamps;
  stamps.reserve(checkpoints.size());
  for (const auto& checkpoint : checkpoints) {
    auto stamp = writeCheckpoint(checkpoint);
    if (!stamp) {
      return tl::unexpected(stamp.error());
    }
    stamps.push_back(*stamp);
  }
  return stamps;
}

void SqliteStateStore::foldedIntoSqlite(const std::vector<Checkpoint>& folded,
                                        const std::vector<std::int64_t>& stamps) {
  for (std::size_t i = 0; i < folded.size(); ++i) {
    cursors_->committedToSqlite(folded[i], stamps[i], false);
  }
  if (!folded.empty()) {
    cursors_->markFolded();
  }
}

std::int64_t SqliteStateStore::nextStamp() {
  lastStamp_ = std::max(toMicros(std::chrono::system_clock::now()), lastStamp_ + 1);
  return lastStamp_;
}

Expected<void> SqliteStateStore::writeRequest(const std::vector<Checkpoint>& checkpoints,
                                              std::vector<std::int64_t>& stamps) {
  stamps.clear();
  auto& select = statements_->selectCursor;
  for (const auto& checkpoint : checkpoints) {
    StatementReset reset(select);
    select.bind(1, checkpoint.collection).bind(2, checkpoint.plugin);
    auto row = select.step();
    if (!row) {
      return tl::unexpected(withContext(row.error(), "cannot read checkpoint from " + path_));
    }
    if (!*row) {
      continue;
    }
    // The journal may hold the plugin further on than SQLite's row: the move is judged against that.
    std::int64_t stored = select.int64(0);
    if (cursors_) {
      stored = std::max(stored, cursors_->cursor(checkpoint.collection, checkpoint.plugin).value_or(0));
    }
    if (stored > checkpoint.cursor) {
      return fail("refusing to move the cursor of " + checkpoint.collection + " " + checkpoint.plugin +
                  " backwards from " + std::to_string(stored) + " to " + std::to_string(checkpoint.cursor));
    }
  }
  for (const auto& checkpoint : checkpoints) {
    auto written = writeCheckpoint(checkpoint);
    if (!written) {
      return tl::unexpected(withContext(written.error(), "cannot commit checkpoint to " + path_));
    }
    stamps.push_back(*written);
  }
  return {};
}

Expected<std::int64_t> SqliteStateStore::writeCheckpoint(const Checkpoint& checkpoint) {
  auto& statements = *statements_;
  const auto now = nextStamp();
  SGEVENTD_TRY(statements.upsertCheckpoint.bind(1, checkpoint.collection)
                   .bind(2, checkpoint.plugin)
                   .bind(3, checkpoint.cursor)
                   .bind(4, now)
                   .run());
  SGEVENTD_TRY(statements.deleteGaps.bind(1, checkpoint.collection).bind(2, checkpoint.plugin).run());
  for (const auto& gap : checkpoint.gaps) {
    SGEVENTD_TRY(statements.insertGap.bind(1, checkpoint.collection)
                     .bind(2, checkpoint.plugin)
                     .bind(3, gap.first)
                     .bind(4, gap.last)
                     .bind(5, toMicros(gap.expires))
                     .run());
  }
  return now;
}

Expected<void> SqliteStateStore::setCursor(const std::string& collection, const std::string& plugin,
                                           std::int64_t cursor) {
  SGEVENTD_TRY(writable());
  if (cursor < 0) {
    return fail("a cursor cannot be negative (" + std::to_string(cursor) + ")");
  }
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  SGEVENTD_TRY(prepareCommitStatements());
  SGEVENTD_TRY(db_.exec("BEGIN IMMEDIATE"));
  const Checkpoint checkpoint{collection, plugin, cursor, {}};
  auto written = writeCheckpoint(checkpoint);
  auto committed = written ? db_.exec("COMMIT") : Expected<void>(tl::unexpected(written.error()));
  if (!committed) {
    (void)db_.exec("ROLLBACK");
    return tl::unexpected(withContext(committed.error(), "cannot set the cursor in " + path_));
  }
  if (cursors_) {
    cursors_->committedToSqlite(checkpoint, *written, true);
  }
  return {};
}

Expected<std::vector<GapRange>> SqliteStateStore::loadGaps(const std::string& collection,
                                                           const std::string& plugin) {
  auto statement = db_.prepare(
      "SELECT first_id, last_id, expires FROM gaps WHERE collection = ?1 AND plugin = ?2 ORDER BY first_id");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, collection).bind(2, plugin);
  std::vector<GapRange> gaps;
  while (true) {
    auto row = statement->step();
    if (!row) {
      return tl::unexpected(row.error());
    }
    if (!*row) {
      return gaps;
    }
    gaps.push_back(GapRange{statement->int64(0), statement->int64(1), fromMicros(statement->int64(2))});
  }
}

Expected<std::vector<Checkpoint>> SqliteStateStore::loadCheckpoints() {
  std::lock_guard dbLock(dbMutex_);
  // One read transaction, so cursors and gaps come from the same commit.
  SGEVENTD_TRY(db_.exec("BEGIN"));
  auto load = [&]() -> Expected<std::vector<Checkpoint>> {
    auto statement = db_.prepare(
        "SELECT collection, plugin, cursor, updated_at FROM checkpoints ORDER BY collection, plugin");
    if (!statement) {
      return tl::unexpected(statement.error());
    }
    auto foreign = foreignJournal();
    if (!foreign) {
      return tl::unexpected(foreign.error());
    }
    std::vector<Checkpoint> checkpoints;
    while (true) {
      auto row = statement->step();
      if (!row) {
        return tl::unexpected(row.error());
      }
      if (!*row) {
        break;
      }
      auto collection = statement->text(0);
      auto plugin = statement->text(1);
      const auto cursor =
          mergedCursor(collection, plugin, statement->int64(2), statement->int64(3), *foreign);
      checkpoints.push_back(Checkpoint{std::move(collection), std::move(plugin), cursor, {}});
    }
    for (auto& checkpoint : checkpoints) {
      auto gaps = loadGaps(checkpoint.collection, checkpoint.plugin);
      if (!gaps) {
        return tl::unexpected(gaps.error());
      }
      checkpoint.gaps = std::move(*gaps);
    }
    return checkpoints;
  };
  auto result = load();
  (void)db_.exec("COMMIT");
  if (!result) {
    return tl::unexpected(withContext(result.error(), "cannot read checkpoints from " + path_));
  }
  return result;
}

Expected<std::optional<Checkpoint>> SqliteStateStore::loadCheckpoint(const std::string& collection,
                                                                     const std::string& plugin) {
  std::lock_guard dbLock(dbMutex_);
  SGEVENTD_TRY(db_.exec("BEGIN"));
  auto load = [&]() -> Expected<std::optional<Checkpoint>> {
    auto statement =
        db_.prepare("SELECT cursor, updated_at FROM checkpoints WHERE collection = ?1 AND plugin = ?2");
    if (!statement) {
      return tl::unexpected(statement.error());
    }
    auto foreign = foreignJournal();
    if (!foreign) {
      return tl::unexpected(foreign.error());
    }
    statement->bind(1, collection).bind(2, plugin);
    auto row = statement->step();
    if (!row) {
      return tl::unexpected(row.error());
    }
    if (!*row) {
      return std::optional<Checkpoint>();
    }
    Checkpoint checkpoint{
        collection,
        plugin,
        mergedCursor(collection, plugin, statement->int64(0), statement->int64(1), *foreign),
        {}};
    auto gaps = loadGaps(collection, plugin);
    if (!gaps) {
      return tl::unexpected(gaps.error());
    }
    checkpoint.gaps = std::move(*gaps);
    return std::optional<Checkpoint>(std::move(checkpoint));
  };
  auto result = load();
  (void)db_.exec("COMMIT");
  if (!result) {
    return tl::unexpected(withContext(result.error(), "cannot read checkpoint from " + path_));
  }
  return result;
}

Expected<void> SqliteStateStore::recordFailure(const FailureRecord& failure) {
  SGEVENTD_TRY(writable());
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  auto insert = db_.prepare(
      "INSERT INTO failures (collection, plugin, callback, event_id, attempts, error, at, is_final, "
      "event_json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  auto prune = db_.prepare("DELETE FROM failures WHERE id <= (SELECT max(id) FROM failures) - ?1");
  if (!insert || !prune) {
    return tl::unexpected(!insert ? insert.error() : prune.error());
  }
  insert->bind(1, failure.collection)
      .bind(2, failure.plugin)
      .bind(3, failure.callback)
      .bind(4, failure.eventId)
      .bind(5, static_cast<std::int64_t>(failure.attempts))
      .bind(6, failure.error)
      .bind(7, toMicros(failure.at))
      .bind(8, static_cast<std::int64_t>(failure.final ? 1 : 0))
      .bind(9, failure.eventJson);
  prune->bind(1, static_cast<std::int64_t>(kFailuresKept));
  SGEVENTD_TRY(db_.exec("BEGIN IMMEDIATE"));
  auto written = insert->run();
  if (written) {
    written = prune->run();
  }
  if (written) {
    written = db_.exec("COMMIT");
  }
  if (!written) {
    (void)db_.exec("ROLLBACK");
    return tl::unexpected(withContext(written.error(), "cannot record a failure in " + path_));
  }
  return {};
}

Expected<std::vector<FailureRecord>> SqliteStateStore::failures(std::optional<std::string> plugin,
                                                                int limit) {
  std::lock_guard dbLock(dbMutex_);
  auto statement = db_.prepare("SELECT " FAILURE_COLUMNS
                               " FROM failures WHERE ?1 IS NULL OR plugin = ?1 ORDER BY id DESC LIMIT ?2");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  if (plugin) {
    statement->bind(1, *plugin);
  } else {
    statement->bindNull(1);
  }
  statement->bind(2, static_cast<std::int64_t>(limit < 0 ? 0 : limit));
  std::vector<FailureRecord> records;
  while (true) {
    auto row = statement->step();
    if (!row) {
      return tl::unexpected(withContext(row.error(), "cannot read failures from " + path_));
    }
    if (!*row) {
      return records;
    }
    records.push_back(failureFromRow(*statement));
  }
}

Expected<std::optional<FailureRecord>> SqliteStateStore::failure(std::int64_t id) {
  std::lock_guard dbLock(dbMutex_);
  auto statement = db_.prepare("SELECT " FAILURE_COLUMNS " FROM failures WHERE id = ?1");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, id);
  auto row = statement->step();
  if (!row) {
    return tl::unexpected(
        withContext(row.error(), "cannot read failure " + std::to_string(id) + " from " + path_));
  }
  if (!*row) {
    return std::optional<FailureRecord>{};
  }
  return std::optional<FailureRecord>{failureFromRow(*statement)};
}

Expected<void> SqliteStateStore::setPluginStatus(const PluginStatus& status) {
  SGEVENTD_TRY(writable());
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  auto statement = db_.prepare(
      "INSERT INTO plugin_status (collection, plugin, state, reason, since, resume_event, resume_callback) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (collection, plugin) DO UPDATE SET state = excluded.state, reason = excluded.reason, "
      "since = excluded.since, resume_event = excluded.resume_event, resume_callback = "
      "excluded.resume_callback");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, status.collection)
      .bind(2, status.plugin)
      .bind(3, stateText(status.state))
      .bind(4, status.reason)
      .bind(5, toMicros(status.since))
      .bind(6, status.resumeEvent)
      .bind(7, status.resumeCallback);
  auto written = statement->run();
  if (!written) {
    return tl::unexpected(withContext(written.error(), "cannot write plugin status to " + path_));
  }
  return {};
}

Expected<std::vector<PluginStatus>> SqliteStateStore::pluginStatuses() {
  std::lock_guard dbLock(dbMutex_);
  auto statement = db_.prepare(
      "SELECT collection, plugin, state, reason, since, resume_event, resume_callback FROM plugin_status "
      "ORDER BY collection, plugin");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  std::vector<PluginStatus> statuses;
  while (true) {
    auto row = statement->step();
    if (!row) {
      return tl::unexpected(withContext(row.error(), "cannot read plugin status from " + path_));
    }
    if (!*row) {
      return statuses;
    }
    statuses.push_back(PluginStatus{statement->text(0), statement->text(1), stateFromText(statement->text(2)),
                                    statement->text(3), fromMicros(statement->int64(4)), statement->int64(5),
                                    statement->text(6)});
  }
}

Expected<void> SqliteStateStore::setHead(std::int64_t head) {
  SGEVENTD_TRY(writable());
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  auto statement = db_.prepare(
      "INSERT INTO fetcher (id, head) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET head = excluded.head");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, head);
  auto written = statement->run();
  if (!written) {
    return tl::unexpected(withContext(written.error(), "cannot write the fetcher head to " + path_));
  }
  return {};
}

Expected<std::optional<std::int64_t>> SqliteStateStore::head() {
  std::lock_guard dbLock(dbMutex_);
  auto statement = db_.prepare("SELECT head FROM fetcher WHERE id = 1");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  auto row = statement->step();
  if (!row) {
    return tl::unexpected(withContext(row.error(), "cannot read the fetcher head from " + path_));
  }
  return *row ? std::optional<std::int64_t>(statement->int64(0)) : std::nullopt;
}

Expected<CrashCount> SqliteStateStore::countCrash(const CrashCount& crash) {
  SGEVENTD_TRY(writable());
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  // One statement: a crash on the event of the last one adds to it, a crash on another event starts anew.
  auto statement = db_.prepare(
      "INSERT INTO crash_counts (collection, plugin, event_id, callback, crashes, signal, at) "
      "VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6) "
      "ON CONFLICT (collection, plugin) DO UPDATE SET "
      "crashes = CASE WHEN event_id = excluded.event_id THEN crashes + 1 ELSE 1 END, "
      "event_id = excluded.event_id, callback = excluded.callback, signal = excluded.signal, "
      "at = excluded.at RETURNING crashes");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, crash.collection)
      .bind(2, crash.plugin)
      .bind(3, crash.eventId)
      .bind(4, crash.callback)
      .bind(5, static_cast<std::int64_t>(crash.signal))
      .bind(6, toMicros(crash.at));
  auto row = statement->step();
  if (!row || !*row) {
    return tl::unexpected(
        withContext(row ? Error{"no row came back"} : row.error(), "cannot count a crash in " + path_));
  }
  CrashCount counted = crash;
  counted.crashes = static_cast<int>(statement->int64(0));
  auto finished = statement->step();  // runs the statement to its end, which commits it
  if (!finished) {
    return tl::unexpected(withContext(finished.error(), "cannot count a crash in " + path_));
  }
  return counted;
}

Expected<std::vector<CrashCount>> SqliteStateStore::crashCounts() {
  std::lock_guard dbLock(dbMutex_);
  auto statement = db_.prepare(
      "SELECT collection, plugin, event_id, callback, crashes, signal, at FROM crash_counts "
      "ORDER BY collection, plugin");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  std::vector<CrashCount> out;
  while (true) {
    auto row = statement->step();
    if (!row) {
      return tl::unexpected(withContext(row.error(), "cannot read crash counts from " + path_));
    }
    if (!*row) {
      return out;
    }
    out.push_back(CrashCount{statement->text(0), statement->text(1), statement->int64(2), statement->text(3),
                             static_cast<int>(statement->int64(4)), static_cast<int>(statement->int64(5)),
                             fromMicros(statement->int64(6))});
  }
}

Expected<void> SqliteStateStore::clearCrashCount(const std::string& collection, const std::string& plugin) {
  SGEVENTD_TRY(writable());
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  auto statement = db_.prepare("DELETE FROM crash_counts WHERE collection = ?1 AND plugin = ?2");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, collection).bind(2, plugin);
  auto written = statement->run();
  if (!written) {
    return tl::unexpected(withContext(written.error(), "cannot clear a crash count in " + path_));
  }
  return {};
}

Expected<void> SqliteStateStore::setCrashIsolation(const CrashIsolation& isolation) {
  SGEVENTD_TRY(writable());
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  auto statement = db_.prepare(
      "INSERT INTO crash_isolation (collection, plugin, path, signature, reason, since) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (collection, plugin) DO UPDATE SET path = excluded.path, signature = excluded.signature, "
      "reason = excluded.reason, since = excluded.since");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, isolation.collection)
      .bind(2, isolation.plugin)
      .bind(3, isolation.path)
      .bind(4, isolation.signature)
      .bind(5, isolation.reason)
      .bind(6, toMicros(isolation.since));
  auto written = statement->run();
  if (!written) {
    return tl::unexpected(withContext(written.error(), "cannot write a crash isolation to " + path_));
  }
  return {};
}

Expected<std::vector<CrashIsolation>> SqliteStateStore::crashIsolations() {
  std::lock_guard dbLock(dbMutex_);
  auto statement = db_.prepare(
      "SELECT collection, plugin, path, signature, reason, since FROM crash_isolation "
      "ORDER BY collection, plugin");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  std::vector<CrashIsolation> out;
  while (true) {
    auto row = statement->step();
    if (!row) {
      return tl::unexpected(withContext(row.error(), "cannot read crash isolation from " + path_));
    }
    if (!*row) {
      return out;
    }
    out.push_back(CrashIsolation{statement->text(0), statement->text(1), statement->text(2),
                                 statement->text(3), statement->text(4), fromMicros(statement->int64(5))});
  }
}

Expected<void> SqliteStateStore::clearCrashIsolation(const std::string& collection,
                                                     const std::string& plugin) {
  SGEVENTD_TRY(writable());
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  auto statement = db_.prepare("DELETE FROM crash_isolation WHERE collection = ?1 AND plugin = ?2");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, collection).bind(2, plugin);
  auto written = statement->run();
  if (!written) {
    return tl::unexpected(withContext(written.error(), "cannot clear a crash isolation in " + path_));
  }
  return {};
}

Expected<std::optional<std::string>> SqliteStateStore::meta(const std::string& key) {
  std::lock_guard dbLock(dbMutex_);
  auto statement = db_.prepare("SELECT value FROM meta WHERE key = ?1");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, key);
  auto row = statement->step();
  if (!row) {
    return tl::unexpected(withContext(row.error(), "cannot read meta from " + path_));
  }
  return *row ? std::optional<std::string>(statement->text(0)) : std::nullopt;
}

Expected<void> SqliteStateStore::setMeta(const std::string& key, const std::string& value) {
  SGEVENTD_TRY(writable());
  std::lock_guard dbLock(dbMutex_);
  keepIdentity();
  auto statement = db_.prepare(
      "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->bind(1, key).bind(2, value);
  auto written = statement->run();
  if (!written) {
    return tl::unexpected(withContext(written.error(), "cannot write meta to " + path_));
  }
  return {};
}

}  // namespace sgeventd::store
