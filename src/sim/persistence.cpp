#include "sim/persistence.h"

#include <sqlite3.h>

#include "store/sqlite_handle.h"

namespace sgeventd::sim {

using store::Connection;
using store::Statement;

namespace {

// Adds the statement to SQLite's message, so a failure in the sim's own schema names the statement.
template <class T>
Expected<T> withSql(Expected<T> result, std::string_view sql) {
  if (!result) {
    return fail("sqlite: " + result.error().message + " in: " + std::string(sql.substr(0, 80)),
                result.error().code);
  }
  return result;
}

Expected<Statement> prepare(const Connection& db, std::string_view sql) {
  return withSql(db.prepare(sql), sql);
}

Expected<void> exec(const Connection& db, std::string_view sql) { return withSql(db.exec(sql), sql); }

// Steps a write to completion and readies it for the next row.
Expected<void> execute(Statement& statement) {
  if (auto done = statement.run(); !done) {
    return fail("sqlite: " + done.error().message, done.error().code);
  }
  return {};
}

// Calls `row` for each row; a failed step is an error, not the end of the rows.
template <class RowFn>
Expected<void> forEachRow(Statement& statement, RowFn&& row) {
  while (true) {
    auto more = statement.step();
    if (!more) {
      return fail("sqlite: " + more.error().message, more.error().code);
    }
    if (!*more) {
      return {};
    }
    SGEVENTD_TRY(row());
  }
}

}  // namespace

struct Persistence::Impl {
  Connection db;
};

Persistence::Persistence(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Persistence::~Persistence() = default;

Expected<std::unique_ptr<Persistence>> Persistence::open(const std::string& path) {
  auto db = Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) {
    return fail("cannot open " + path + ": " + db.error().message, db.error().code);
  }
  auto impl = std::make_unique<Impl>(Impl{std::move(*db)});
  SGEVENTD_TRY(exec(impl->db, R"(
    PRAGMA journal_mode=WAL;
    PRAGMA synchronous=NORMAL;
    CREATE TABLE IF NOT EXISTS entities (type TEXT NOT NULL, id INTEGER NOT NULL, retired INTEGER NOT NULL,
                                         fields TEXT NOT NULL, PRIMARY KEY (type, id));
    CREATE TABLE IF NOT EXISTS counters (type TEXT PRIMARY KEY, next_id INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS schema_fields (type TEXT NOT NULL, field TEXT NOT NULL, data_type TEXT NOT NULL,
                                              valid_types TEXT NOT NULL, PRIMARY KEY (type, field));
    CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, event_type TEXT NOT NULL,
      attribute_name TEXT, session_uuid TEXT, meta TEXT NOT NULL,
      entity_type TEXT, entity_id INTEGER, entity_name TEXT,
      user_type TEXT, user_id INTEGER, user_name TEXT,
      project_type TEXT, project_id INTEGER, project_name TEXT);
  )"));
  return std::unique_ptr<Persistence>(new Persistence(std::move(impl)));
}

Expected<LoadedSite> Persistence::load(EventLog& log) {
  LoadedSite site;
  auto entities = prepare(impl_->db, "SELECT type, id, retired, fields FROM entities");
  if (!entities) {
    return tl::unexpected(entities.error());
  }
  SGEVENTD_TRY(forEachRow(*entities, [&]() -> Expected<void> {
    EntityRow row;
    row.id = entities->int64(1);
    row.retired = entities->int64(2) != 0;
    row.fields = Json::parse(entities->text(3), nullptr, false);
    if (row.fields.is_discarded()) {
      return fail("corrupt entity row " + entities->text(0) + " " + std::to_string(row.id));
    }
    site.entities[entities->text(0)][row.id] = std::move(row);
    return {};
  }));
  auto counters = prepare(impl_->db, "SELECT type, next_id FROM counters");
  if (!counters) {
    return tl::unexpected(counters.error());
  }
  SGEVENTD_TRY(forEachRow(*counters, [&]() -> Expected<void> {
    site.nextIds[counters->text(0)] = counters->int64(1);
    return {};
  }));
  auto fields = prepare(impl_->db, "SELECT type, field, data_type, valid_types FROM schema_fields");
  if (!fields) {
    return tl::unexpected(fields.error());
  }
  SGEVENTD_TRY(forEachRow(*fields, [&]() -> Expected<void> {
    FieldSchema fs;
    fs.builtIn = false;
    fs.type = dataTypeFromName(fields->text(2)).value_or(DataType::Text);
    // A list of valid types, or (fields with more than valid types) an object of them all.
    const Json saved = Json::parse(fields->text(3), nullptr, false);
    const Json valid = saved.is_object() ? saved.value("valid_types", Json::array()) : saved;
    if (valid.is_array()) {
      for (const auto& v : valid) {
        fs.validTypes.push_back(v.get<std::string>());
      }
    }
    if (saved.is_object()) {
      for (const auto& v : saved.value("valid_values", Json::array())) {
        fs.validValues.push_back(v.get<std::string>());
      }
      fs.properties = saved.value("properties", Json::object());
    }
    site.addedFields.push_back({fields->text(0), {fields->text(1), fs}});
    return {};
  }));
  auto events = prepare(
      impl_->db,
      "SELECT id, created_at, event_type, attribute_name, session_uuid, meta, entity_type, entity_id, "
      "entity_name, "
      "user_type, user_id, user_name, project_type, project_id, project_name FROM events ORDER BY id");
  if (!events) {
    return tl::unexpected(events.error());
  }
  auto link = [&](int column) -> std::optional<NewEvent::Link> {
    if (events->isNull(column)) {
      return std::nullopt;
    }
    return NewEvent::Link{events->text(column), events->int64(column + 1), events->text(column + 2)};
  };
  NewEvent e;
  SGEVENTD_TRY(forEachRow(*events, [&]() -> Expected<void> {
    e.createdAt = events->int64(1);
    e.eventType = events->text(2);
    e.attributeName = events->isNull(3) ? std::nullopt : std::optional<std::string>(events->text(3));
    e.sessionUuid = events->isNull(4) ? std::nullopt : std::optional<std::string>(events->text(4));
    e.metaJson = events->text(5);
    e.entity = link(6);
    e.user = link(9);
    e.project = link(12);
    log.append(events->int64(0), e);
    return {};
  }));
  return site;
}

Expected<void> Persistence::save(
    const std::vector<EntityChange>& entities,
    const std::vector<std::pair<std::string, std::pair<std::string, FieldSchema>>>& fields,
    const EventLog& log, std::size_t firstEventRow, const std::map<std::string, std::int64_t>& nextIds) {
  auto& db = impl_->db;
  SGEVENTD_TRY(exec(db, "BEGIN"));
  auto run = [&]() -> Expected<void> {
    auto upsert =
        prepare(db, "INSERT OR REPLACE INTO entities (type, id, retired, fields) VALUES (?, ?, ?, ?)");
    auto erase = prepare(db, "DELETE FROM entities WHERE type = ? AND id = ?");
    auto field = prepare(
        db, "INSERT OR REPLACE INTO schema_fields (type, field, data_type, valid_types) VALUES (?, ?, ?, ?)");
    auto counter = prepare(db, "INSERT OR REPLACE INTO counters (type, next_id) VALUES (?, ?)");
    auto event =
        prepare(db, "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (auto* s : {&upsert, &erase, &field, &counter, &event}) {
      if (!*s) {
        return tl::unexpected(s->error());
      }
    }
    for (const auto& change : entities) {
      Statement& st = change.row ? *upsert : *erase;
      st.bind(1, change.type).bind(2, change.id);
      if (change.row) {
        st.bind(3, std::int64_t{change.row->retired ? 1 : 0}).bind(4, change.row->fields.dump());
      }
      SGEVENTD_TRY(execute(st));
    }
    for (const auto& [type, f] : fields) {
      field->bind(1, type)
          .bind(2, f.first)
          .bind(3, dataTypeName(f.second.type))
          .bind(4, f.second.validValues.empty() && f.second.properties.empty()
                       ? Json(f.second.validTypes).dump()
                       : Json{{"valid_types", f.second.validTypes},
                              {"valid_values", f.second.validValues},
                              {"properties", f.second.properties}}
                             .dump());
      SGEVENTD_TRY(execute(*field));
    }
    for (const auto& [type, next] : nextIds) {
      counter->bind(1, type).bind(2, next);
      SGEVENTD_TRY(execute(*counter));
    }
    const auto& pool = log.pool();
    auto bindLink = [&](int column, const LinkRef& ref) {
      if (!ref.present()) {
        event->bindNull(column).bindNull(column + 1).bindNull(column + 2);
      } else {
        event->bind(column, pool.at(ref.type)).bind(column + 1, ref.id).bind(column + 2, pool.at(ref.name));
      }
    };
    for (std::size_t i = firstEventRow; i < log.size(); ++i) {
      const EventRow& row = log.rows()[i];
      event->bind(1, row.id).bind(2, row.createdAt).bind(3, pool.at(row.eventType));
      if (row.attributeName == StringPool::kNone) {
        event->bindNull(4);
      } else {
        event->bind(4, pool.at(row.attributeName));
      }
      if (row.sessionUuid == StringPool::kNone) {
        event->bindNull(5);
      } else {
        event->bind(5, pool.at(row.sessionUuid));
      }
      event->bind(6, log.meta(row));
      bindLink(7, row.entity);
      bindLink(10, row.user);
      bindLink(13, row.project);
      SGEVENTD_TRY(execute(*event));
    }
    return {};
  };
  auto result = run();
  if (!result) {
    (void)exec(db, "ROLLBACK");
    return result;
  }
  return exec(db, "COMMIT");
}

}  // namespace sgeventd::sim
