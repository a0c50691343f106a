#pragma once
// Small RAII owners over the sqlite3 C API: a connection and a prepared statement. Every failure is
// returned as an Error carrying SQLite's message, never thrown.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.h"

namespace sgeventd::store {

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

class Statement;

class Connection {
 public:
  // `flags` are sqlite3_open_v2 flags (add SQLITE_OPEN_URI for a "file:" URI).
  static Expected<Connection> open(const std::string& uriOrPath, int flags);

  sqlite3* get() const { return db_.get(); }
  // Runs one or more statements that return no rows we need.
  Expected<void> exec(std::string_view sql) const;
  // Prepares a statement kept for the connection's lifetime (SQLITE_PREPARE_PERSISTENT).
  Expected<Statement> prepare(std::string_view sql, bool persistent = false) const;
  std::string lastError() const;
  int lastErrorCode() const { return sqlite3_extended_errcode(db_.get()); }

 private:
  std::unique_ptr<sqlite3, ConnectionCloser> db_;
};

// One prepared statement. step() returns true while a row is available; reset() readies it for reuse.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bindNull(int index);
  Expected<bool> step();
  // Steps to completion, for statements that return no rows.
  Expected<void> run();
  void reset();

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
  std::string text(int column) const;
  bool isNull(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt_;
};

// Resets a statement when leaving a scope, so a cached statement never stays half-stepped.
class StatementReset {
 public:
  explicit StatementReset(Statement& statement) : statement_(statement) {}
  ~StatementReset() { statement_.reset(); }
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  Statement& statement_;
};

}  // namespace sgeventd::store
