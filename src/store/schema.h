#pragma once
// The state database's schema and its migrations. PRAGMA user_version holds the schema version; each
// migration moves it up by one inside its own transaction.
#include "core/expected.h"
#include "store/sqlite_handle.h"

namespace sgeventd::store {

inline constexpr int kSchemaVersion = 3;

Expected<int> schemaVersion(const Connection& db);

// Brings the database up to kSchemaVersion; refuses a database written by a newer sgeventd.
Expected<void> migrate(const Connection& db, const std::string& path);

}  // namespace sgeventd::store
