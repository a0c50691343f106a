#include "store/sqlite_handle.h"

namespace sgeventd::store {

Expected<Connection> Connection::open(const std::string& uriOrPath, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(uriOrPath.c_str(), &raw, flags, nullptr);
  Connection connection;
  connection.db_.reset(raw);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return fail(message, rc);
  }
  sqlite3_extended_result_codes(raw, 1);
  return connection;
}

Expected<void> Connection::exec(std::string_view sql) const {
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    return fail(message, rc);
  }
  return {};
}

Expected<Statement> Connection::prepare(std::string_view sql, bool persistent) const {
  sqlite3_stmt* stmt = nullptr;
  const unsigned flags = persistent ? SQLITE_PREPARE_PERSISTENT : 0;
  const int rc =
      sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return fail(lastError(), rc);
  }
  return Statement(db_.get(), stmt);
}

std::string Connection::lastError() const { return sqlite3_errmsg(db_.get()); }

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bindNull(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Expected<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return fail(sqlite3_errmsg(db_), rc);
}

Expected<void> Statement::run() {
  StatementReset resetOnExit(*this);
  while (true) {
    auto row = step();
    if (!row) {
      return tl::unexpected(row.error());
    }
    if (!*row) {
      return {};
    }
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(stmt_.get(), column);
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  return bytes != nullptr ? std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size))
                          : std::string();
}

}  // namespace sgeventd::store
