// The write path every api3 write and the activity generator share; it logs events as a site does
// (protocol doc §3.2-3.3): _New plus in_create _Change per field, one _Change per changed field,
// _Retirement, _Revival.
#include <algorithm>

#include "shotgrid/datetime.h"
#include "sim/site_state.h"

namespace sgeventd::sim {
namespace {

std::string crudMissing(const std::string& method, const std::string& type, std::int64_t id) {
  return "API " + method + "() CRUD ERROR #3: Entity of type [" + type + "] with id=" + std::to_string(id) +
         " does not exist.";
}

bool isLink(const Json& v) {
  return v.is_object() && v.contains("type") && v["type"].is_string() && v.contains("id") &&
         v["id"].is_number_integer();
}

Json trimLink(const Json& v) { return Json{{"type", v["type"]}, {"id", v["id"]}}; }

bool sameLink(const Json& a, const Json& b) { return a["type"] == b["type"] && a["id"] == b["id"]; }

}  // namespace

ApiResult<void> parseFieldList(const Json& list, Json& fields, Json& modes, const std::string& method) {
  fields = Json::object();
  modes = Json::object();
  if (list.is_null()) {
    return {};
  }
  if (list.is_object()) {  // tolerate {field: value}
    fields = list;
    return {};
  }
  if (!list.is_array()) {
    return apiFail(103, "API " + method + "() fields must be an array of {field_name, value}");
  }
  for (const auto& item : list) {
    if (!item.is_object() || !item.contains("field_name") || !item["field_name"].is_string()) {
      return apiFail(103, "API " + method + "() every field needs a field_name");
    }
    const auto name = item["field_name"].get<std::string>();
    fields[name] = item.value("value", Json(nullptr));
    if (item.contains("multi_entity_update_mode")) {
      modes[name] = item["multi_entity_update_mode"];
    }
  }
  return {};
}

WriteContext Site::State::contextFor(const Actor& actor) const {
  WriteContext ctx;
  ctx.user = actor.user.is_null() && !scripts.empty()
                 ? Json{{"type", "ApiUser"}, {"id", scripts.front().apiUserId}}
                 : actor.user;
  ctx.sessionUuid = actor.sessionUuid;
  return ctx;
}

NewEvent Site::State::eventFor(const std::string& type, const EntityRow& row, const std::string& action,
                               const WriteContext& ctx) const {
  NewEvent e;
  e.createdAt = nowSeconds();
  e.eventType = "Shotgun_" + type + "_" + action;
  e.sessionUuid = ctx.sessionUuid;
  e.entity = toEventLink(linkFor(type, row.id));
  if (ctx.user.is_object()) {
    e.user = toEventLink(linkFor(ctx.user.value("type", ""), ctx.user.value("id", std::int64_t{0})));
  }
  const Json project = projectLinkOf(type, row);
  if (!project.is_null()) {
    e.project = toEventLink(project);
  }
  return e;
}

std::int64_t Site::State::logEvent(const NewEvent& event) {
  const std::int64_t id = nextEventId++;
  events.append(id, event);
  return id;
}

namespace {

// Checks and normalizes one written value against its field's data type; the stored form.
ApiResult<Json> normalize(const Site::State& st, const std::string& method, const std::string& type,
                          const std::string& field, const FieldSchema& fs, const Json& value) {
  auto bad = [&](const std::string& what) {
    return apiFail(
        103, "API " + method + "() " + type + "." + field + " expects " + what + ", got " + value.dump());
  };
  if (value.is_null()) {
    return fs.type == DataType::MultiEntity ? Json::array() : Json(nullptr);
  }
  auto checkLink = [&](const Json& link) -> ApiResult<Json> {
    if (!isLink(link)) {
      return bad("an entity hash {type, id}");
    }
    const auto target = link["type"].get<std::string>();
    if (!fs.validTypes.empty() &&
        std::find(fs.validTypes.begin(), fs.validTypes.end(), target) == fs.validTypes.end()) {
      if (fs.builtIn) {
        return bad("one of the valid types");
      }
    }
    if (!st.findRow(target, link["id"].get<std::int64_t>())) {
      return apiFail(104, "API " + method + "() CRUD ERROR #3: " + type + "." + field + ": entity of type [" +
                              target + "] with id=" + std::to_string(link["id"].get<std::int64_t>()) +
                              " does not exist.");
    }
    return trimLink(link);
  };
  switch (fs.type) {
    case DataType::Text:
    case DataType::List:
    case DataType::StatusList:
    case DataType::Uuid:
    case DataType::Image:
      if (!value.is_string()) return bad("a string");
      return value;
    case DataType::Number:
    case DataType::Duration:
    case DataType::Timecode:
    case DataType::Percent:
      if (!value.is_number_integer()) return bad("an integer");
      return value;
    case DataType::Float:
    case DataType::Currency:
      if (!value.is_number()) return bad("a number");
      return value;
    case DataType::Checkbox:
      if (!value.is_boolean()) return bad("true or false");
      return value;
    case DataType::Date:
      if (!value.is_string() || value.get<std::string>().size() != 10 ||
          !shotgrid::parseDateTime(value.get<std::string>() + "T00:00:00Z")) {
        return bad("a date YYYY-MM-DD");
      }
      return value;
    case DataType::DateTime: {
      const auto t = value.is_string() ? shotgrid::parseDateTime(value.get<std::string>()) : std::nullopt;
      if (!t) return bad("a date-time YYYY-MM-DDTHH:MM:SSZ");
      return shotgrid::formatDateTime(*t);
    }
    case DataType::Entity:
      return checkLink(value);
    case DataType::MultiEntity: {
      if (!value.is_array()) return bad("a list of entity hashes");
      Json out = Json::array();
      for (const auto& link : value) {
        auto l = checkLink(link);
        if (!l) return l;
        if (std::none_of(out.begin(), out.end(), [&](const Json& o) { return sameLink(o, *l); })) {
          out.push_back(*l);
        }
      }
      return out;
    }
    case DataType::Url:
      if (!value.is_object() && !value.is_string()) return bad("a url hash");
      return value;
    case DataType::Serializable:
      return value;
  }
  return value;
}

// A written field: its schema (a field new to the type is inferred from the value and added to the
// type's schema) and its normalized value.
struct WrittenField {
  const FieldSchema* schema;
  Json value;
};

ApiResult<WrittenField> writtenField(Site::State& st, const std::string& method, const std::string& type,
                                     EntitySchema& es, const std::string& name, const Json& value) {
  const FieldSchema* fs = es.field(name);
  if (!fs && name.find('.') != std::string::npos) {
    // A linked entity's field (entity.Shot.sg_status_list) is written on that entity, never through
    // a link, and it must not become a new field of this type.
    return apiFail(103, "API " + method + "() " + type + "." + name + " doesn't exist.");
  }
  FieldSchema inferred;
  if (!fs) {
    inferred = inferFieldSchema(value);
    fs = &inferred;
  }
  auto v = normalize(st, method, type, name, *fs, value);
  if (!v) {
    return tl::unexpected(v.error());
  }
  if (fs == &inferred) {
    es.fields[name] = inferred;
    st.dirtyFields.insert({type, name});
    fs = es.field(name);
  }
  return WrittenField{fs, std::move(*v)};
}

Json withValid(const Site::State& st, const Json& links) {
  Json out = Json::array();
  for (const auto& l : links) {
    Json link = st.linkFor(l["type"].get<std::string>(), l["id"].get<std::int64_t>());
    link["valid"] = "valid";
    out.push_back(std::move(link));
  }
  return out;
}

}  // namespace

ApiResult<Json> Site::State::createLocked(const std::string& type, const Json& fields,
                                          const Json& returnFields, const WriteContext& ctx) {
  auto schemaIt = schema.find(type);
  if (schemaIt == schema.end()) {
    return apiFail(103, "API create() unknown entity type '" + type + "'");
  }
  if (!fields.is_object()) {
    return apiFail(103, "API create() fields must be a list of {field_name, value}");
  }
  const std::string now = shotgrid::formatDateTime(clock->now());
  if (type == "EventLogEntry") {
    // A script may log its own events (protocol doc §3.1); they get the next id like any other.
    NewEvent e;
    e.createdAt = nowSeconds();
    e.eventType = fields.value("event_type", "Custom_Event");
    if (fields.contains("attribute_name") && fields["attribute_name"].is_string()) {
      e.attributeName = fields["attribute_name"].get<std::string>();
    }
    e.metaJson = fields.value("meta", Json(nullptr)).dump();
    e.sessionUuid = ctx.sessionUuid;
    for (const auto& [key, target] :
         {std::pair<const char*, std::optional<NewEvent::Link>*>{"entity", &e.entity},
          {"project", &e.project}}) {
      if (fields.contains(key) && isLink(fields[key])) {
        *target = toEventLink(
            linkFor(fields[key]["type"].get<std::string>(), fields[key]["id"].get<std::int64_t>()));
      }
    }
    if (ctx.user.is_object()) {
      e.user = toEventLink(linkFor(ctx.user.value("type", ""), ctx.user.value("id", std::int64_t{0})));
    }
    const auto id = logEvent(std::move(e));
    Json out{{"type", type}, {"id", id}};
    for (const auto& [k, v] : fields.items()) {
      out[k] = eventField(events.rows().back(), k);
    }
    return out;
  }
  EntitySchema& es = schemaIt->second;
  Json stored = Json::object();
  for (const auto& [name, value] : fields.items()) {
    if (name == "id" || name == "type") {
      continue;
    }
    auto written = writtenField(*this, "create", type, es, name, value);
    if (!written) {
      return tl::unexpected(written.error());
    }
    stored[name] = std::move(written->value);
  }
  EntityTable& table = tables[type];
  EntityRow row;
  row.id = table.nextId++;
  row.fields = stored;
  row.fields["created_at"] = now;
  row.fields["updated_at"] = now;
  row.fields["created_by"] = ctx.user;
  row.fields["updated_by"] = ctx.user;
  const EntityRow& saved = table.rows[row.id] = std::move(row);
  dirtyEntities.insert({type, saved.id});

  NewEvent created = eventFor(type, saved, "New", ctx);
  created.metaJson = Json{{"type", "new_entity"}, {"entity_type", type}, {"entity_id", saved.id}}.dump();
  logEvent(created);
  for (const auto& [name, value] : stored.items()) {
    const FieldSchema& fs = *es.field(name);
    NewEvent change = eventFor(type, saved, "Change", ctx);
    change.attributeName = name;
    Json meta{{"type", "attribute_change"},
              {"attribute_name", name},
              {"entity_type", type},
              {"entity_id", saved.id},
              {"field_data_type", dataTypeName(fs.type)},
              {"in_create", true}};
    if (fs.type == DataType::MultiEntity) {
      meta["added"] = withValid(*this, value);
      meta["removed"] = Json::array();
    } else {
      meta["old_value"] = nullptr;
      meta["new_value"] = outputValue(fs, value);
    }
    change.metaJson = meta.dump();
    logEvent(std::move(change));
  }

  Json out{{"type", type}, {"id", saved.id}};
  for (const auto& [name, value] : stored.items()) {
    out[name] = entityField(type, saved, name);
  }
  if (returnFields.is_array()) {
    for (const auto& f : returnFields) {
      if (f.is_string()) {
        out[f.get<std::string>()] = pathValue(type, Record{&saved, nullptr}, f.get<std::string>());
      }
    }
  }
  return out;
}

ApiResult<Json> Site::State::updateLocked(const std::string& type, std::int64_t id, const Json& fields,
                                          const Json& modes, const WriteContext& ctx) {
  if (type == "EventLogEntry") {
    return apiFail(104, "API update() EventLogEntries cannot be updated or deleted.");
  }
  auto schemaIt = schema.find(type);
  if (schemaIt == schema.end()) {
    return apiFail(103, "API update() unknown entity type '" + type + "'");
  }
  auto tableIt = tables.find(type);
  auto rowIt =
      tableIt == tables.end() ? decltype(tableIt->second.rows.end()){} : tableIt->second.rows.find(id);
  if (tableIt == tables.end() || rowIt == tableIt->second.rows.end() || rowIt->second.retired) {
    return apiFail(104, crudMissing("update", type, id));
  }
  if (!fields.is_object()) {
    return apiFail(103, "API update() fields must be a list of {field_name, value}");
  }
  EntitySchema& es = schemaIt->second;
  EntityRow& row = rowIt->second;

  // Validate everything first, so a failing field leaves the row untouched.
  std::vector<std::pair<std::string, Json>> next;
  for (const auto& [name, value] : fields.items()) {
    if (name == "id" || name == "type") {
      continue;
    }
    auto written = writtenField(*this, "update", type, es, name, value);
    if (!written) {
      return tl::unexpected(written.error());
    }
    const FieldSchema* fs = written->schema;
    auto v = &written->value;
    if (fs->type == DataType::MultiEntity) {
      const std::string mode = modes.is_object() ? modes.value(name, "set") : "set";
      if (mode != "set" && mode != "add" && mode != "remove") {
        return apiFail(103, "API update() invalid multi_entity_update_mode '" + mode + "'");
      }
      const Json old = row.fields.value(name, Json::array());
      if (mode == "add") {
        Json merged = old.is_array() ? old : Json::array();
        for (const auto& l : *v) {
          if (std::none_of(merged.begin(), merged.end(), [&](const Json& o) { return sameLink(o, l); })) {
            merged.push_back(l);
          }
        }
        *v = std::move(merged);
      } else if (mode == "remove") {
        Json kept = Json::array();
        for (const auto& o : old.is_array() ? old : Json::array()) {
          if (std::none_of(v->begin(), v->end(), [&](const Json& l) { return sameLink(o, l); })) {
            kept.push_back(o);
          }
        }
        *v = std::move(kept);
      }
    }
    next.emplace_back(name, std::move(*v));
  }

  Json out{{"type", type}, {"id", id}};
  for (auto& [name, value] : next) {
    const FieldSchema& fs = *es.field(name);
    const Json old = row.fields.contains(name)
                         ? row.fields[name]
                         : (fs.type == DataType::MultiEntity ? Json::array() : Json(nullptr));
    const bool changed =
        fs.type == DataType::MultiEntity
            ? old.size() != value.size() ||
                  std::any_of(old.begin(), old.end(),
                              [&](const Json& o) {
                                return std::none_of(value.begin(), value.end(),
                                                    [&](const Json& l) { return sameLink(o, l); });
                              })
            : old != value;
    if (changed) {
      NewEvent change = eventFor(type, row, "Change", ctx);
      change.attributeName = name;
      Json meta{{"type", "attribute_change"},
                {"attribute_name", name},
                {"entity_type", type},
                {"entity_id", id},
                {"field_data_type", dataTypeName(fs.type)}};
      if (fs.type == DataType::MultiEntity) {
        Json added = Json::array(), removed = Json::array();
        for (const auto& l : value) {
          if (std::none_of(old.begin(), old.end(), [&](const Json& o) { return sameLink(o, l); })) {
            added.push_back(l);
          }
        }
        for (const auto& o : old) {
          if (std::none_of(value.begin(), value.end(), [&](const Json& l) { return sameLink(o, l); })) {
            removed.push_back(o);
          }
        }
        meta["added"] = withValid(*this, added);
        meta["removed"] = withValid(*this, removed);
      } else {
        meta["old_value"] = outputValue(fs, old);
        meta["new_value"] = outputValue(fs, value);
      }
      row.fields[name] = value;
      // The event's entity link names the row after the change (e.g. a renamed Shot).
      change.entity = toEventLink(linkFor(type, id));
      change.metaJson = meta.dump();
      logEvent(std::move(change));
    }
    out[name] = entityField(type, row, name);
  }
  row.fields["updated_at"] = shotgrid::formatDateTime(clock->now());
  row.fields["updated_by"] = ctx.user;
  dirtyEntities.insert({type, id});
  return out;
}

ApiResult<bool> Site::State::retireLocked(const std::string& type, std::int64_t id, const WriteContext& ctx) {
  if (type == "EventLogEntry") {
    return apiFail(104, "API delete() EventLogEntries cannot be updated or deleted.");
  }
  auto tableIt = tables.find(type);
  if (schema.find(type) == schema.end() || tableIt == tables.end() || !tableIt->second.rows.count(id)) {
    return apiFail(104, crudMissing("delete", type, id));
  }
  EntityRow& row = tableIt->second.rows[id];
  if (row.retired) {
    return false;
  }
  NewEvent e = eventFor(type, row, "Retirement", ctx);
  e.metaJson = Json{{"type", "entity_retirement"}, {"entity_type", type}, {"entity_id", id}}.dump();
  row.retired = true;
  logEvent(std::move(e));
  dirtyEntities.insert({type, id});
  return true;
}

ApiResult<bool> Site::State::reviveLocked(const std::string& type, std::int64_t id, const WriteContext& ctx) {
  auto tableIt = tables.find(type);
  if (schema.find(type) == schema.end() || tableIt == tables.end() || !tableIt->second.rows.count(id)) {
    return apiFail(104, crudMissing("revive", type, id));
  }
  EntityRow& row = tableIt->second.rows[id];
  if (!row.retired) {
    return false;
  }
  row.retired = false;
  NewEvent e = eventFor(type, row, "Revival", ctx);
  e.metaJson = Json{{"type", "entity_revival"}, {"entity_type", type}, {"entity_id", id}}.dump();
  logEvent(std::move(e));
  dirtyEntities.insert({type, id});
  return true;
}

ApiResult<Json> Site::State::batchLocked(const Json& requests, const WriteContext& ctx) {
  if (!requests.is_array()) {
    return apiFail(103, "API batch() expects a list of requests");
  }
  // All or nothing: snapshot what a request can change and restore it on the first failure.
  const auto savedTables = tables;
  const auto savedSchema = schema;
  const auto savedNextEventId = nextEventId;
  const auto savedMark = events.mark();
  const auto savedDirtyEntities = dirtyEntities;
  const auto savedDirtyFields = dirtyFields;
  Json results = Json::array();
  auto restore = [&] {
    tables = savedTables;
    schema = savedSchema;
    nextEventId = savedNextEventId;
    events.rollback(savedMark);
    dirtyEntities = savedDirtyEntities;
    dirtyFields = savedDirtyFields;
  };
  for (const auto& request : requests) {
    const std::string kind = request.is_object() ? request.value("request_type", "") : "";
    const std::string type =
        request.is_object() ? request.value("type", request.value("entity_type", "")) : "";
    ApiResult<Json> result = apiFail(103, "API batch() unknown request_type '" + kind + "'");
    Json fields, modes;
    if (kind == "create" || kind == "update") {
      auto parsed = parseFieldList(request.value("fields", request.value("data", Json(nullptr))), fields,
                                   modes, "batch");
      if (!parsed) {
        restore();
        return tl::unexpected(parsed.error());
      }
    }
    const std::int64_t id =
        request.is_object() ? request.value("id", request.value("entity_id", std::int64_t{0})) : 0;
    if (kind == "create") {
      result = createLocked(type, fields, request.value("return_fields", Json(nullptr)), ctx);
    } else if (kind == "update") {
      result = updateLocked(type, id, fields, modes, ctx);
    } else if (kind == "delete") {
      auto r = retireLocked(type, id, ctx);
      result = r ? ApiResult<Json>(Json(*r)) : tl::unexpected(r.error());
    }
    if (!result) {
      restore();
      return tl::unexpected(result.error());
    }
    results.push_back(std::move(*result));
  }
  return results;
}

void Site::State::persistLocked() {
  if (!persistence) {
    return;
  }
  std::vector<EntityChange> changes;
  for (const auto& [type, id] : dirtyEntities) {
    changes.push_back(EntityChange{type, findRow(type, id), id});
  }
  std::vector<std::pair<std::string, std::pair<std::string, FieldSchema>>> fields;
  for (const auto& [type, name] : dirtyFields) {
    if (const FieldSchema* fs = schema[type].field(name)) {
      fields.push_back({type, {name, *fs}});
    }
  }
  std::map<std::string, std::int64_t> nextIds;
  for (const auto& [type, table] : tables) {
    nextIds[type] = table.nextId;
  }
  nextIds["EventLogEntry"] = nextEventId;
  auto saved = persistence->save(changes, fields, events, persistedEvents, nextIds);
  if (!saved) {
    persistError = saved;
    return;
  }
  dirtyEntities.clear();
  dirtyFields.clear();
  persistedEvents = events.size();
}

}  // namespace sgeventd::sim
