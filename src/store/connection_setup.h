#pragma once
// How a state connection is readied after sqlite3_open: WAL, the sync mode, an integrity check and the
// schema migrations for writers; the schema version check for readers. Shared by the first open and by
// the rewrite of a database lost under a running daemon.
#include <string>

#include "core/expected.h"
#include "store/sqlite_handle.h"
#include "store/state_store.h"

namespace sgeventd::store {

inline constexpr int kBusyTimeoutMs = 5000;

// SQLite reports a file that is not a database only at the first read: this names that case.
Error describeOpenError(const std::string& path, const Error& error);

Expected<void> configureWritable(const Connection& db, const std::string& path, SyncMode sync);
Expected<void> configureReadOnly(const Connection& db, const std::string& path);

// How many tables the database holds (0 for a database SQLite has just created, or an empty file).
Expected<int> tableCount(const Connection& db, const std::string& path);

}  // namespace sgeventd::store
