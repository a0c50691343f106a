// How stored values come back on the wire: links with their target's current name, deep paths,
// and EventLogEntry rows rendered from the compact log.
#include <chrono>

#include "shotgrid/datetime.h"
#include "sim/json_text.h"
#include "sim/site_state.h"

namespace sgeventd::sim {
namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) {
      return parts;
    }
    start = dot + 1;
  }
}

std::string formatSeconds(std::int64_t s) {
  return shotgrid::formatDateTime(TimePoint{std::chrono::seconds{s}});
}

}  // namespace

NewEvent::Link toEventLink(const Json& link) {
  NewEvent::Link out;
  out.type = link.value("type", "");
  out.id = link.value("id", std::int64_t{0});
  const auto name = link.value("name", Json(nullptr));
  out.name = name.is_string() ? name.get<std::string>() : std::string();
  return out;
}

std::int64_t Site::State::nowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock->now().time_since_epoch()).count();
}

bool Site::State::visible(std::int64_t id, std::int64_t nowSec) const {
  const auto it = hidden.find(id);
  if (it == hidden.end()) {
    return true;
  }
  if (it->second.mode != HideSpec::Mode::UntilTime) {
    return false;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(it->second.until.time_since_epoch()).count() <=
         nowSec;
}

const EntityRow* Site::State::findRow(const std::string& type, std::int64_t id) const {
  const auto table = tables.find(type);
  if (table == tables.end()) {
    return nullptr;
  }
  const auto row = table->second.rows.find(id);
  return row == table->second.rows.end() ? nullptr : &row->second;
}

Json Site::State::nameOf(const std::string& type, const EntityRow& row) const {
  const auto s = schema.find(type);
  if (s == schema.end()) {
    return nullptr;
  }
  const auto it = row.fields.find(s->second.displayField);
  return it == row.fields.end() ? Json(nullptr) : *it;
}

Json Site::State::linkFor(const std::string& type, std::int64_t id) const {
  const EntityRow* row = findRow(type, id);
  return Json{{"type", type}, {"id", id}, {"name", row ? nameOf(type, *row) : Json(nullptr)}};
}

Json Site::State::outputValue(const FieldSchema& field, const Json& stored) const {
  if (field.type == DataType::Entity) {
    if (!stored.is_object()) {
      return nullptr;
    }
    return linkFor(stored.value("type", ""), stored.value("id", std::int64_t{0}));
  }
  if (field.type == DataType::MultiEntity) {
    Json out = Json::array();
    if (stored.is_array()) {
      for (const auto& link : stored) {
        out.push_back(linkFor(link.value("type", ""), link.value("id", std::int64_t{0})));
      }
    }
    return out;
  }
  return stored;
}

Json Site::State::entityField(const std::string& type, const EntityRow& row, const std::string& field) const {
  if (field == "id") {
    return row.id;
  }
  if (field == "type") {
    return type;
  }
  const auto s = schema.find(type);
  const FieldSchema* fs = s == schema.end() ? nullptr : s->second.field(field);
  const auto it = row.fields.find(field);
  if (!fs) {
    return it == row.fields.end() ? Json(nullptr) : *it;
  }
  if (it == row.fields.end()) {
    return fs->type == DataType::MultiEntity ? Json::array() : Json(nullptr);
  }
  return outputValue(*fs, *it);
}

Json Site::State::projectLinkOf(const std::string& type, const EntityRow& row) const {
  if (type == "Project") {
    return linkFor("Project", row.id);
  }
  const auto it = row.fields.find("project");
  if (it == row.fields.end() || !it->is_object()) {
    return nullptr;
  }
  return linkFor("Project", it->value("id", std::int64_t{0}));
}

Json Site::State::eventField(const EventRow& row, const std::string& field) const {
  const auto& pool = events.pool();
  auto link = [&](const LinkRef& ref, bool nullWhenRetired) -> Json {
    if (!ref.present()) {
      return nullptr;
    }
    const auto& type = pool.at(ref.type);
    if (const EntityRow* target = findRow(type, ref.id)) {
      if (nullWhenRetired && target->retired) {
        return nullptr;
      }
      return Json{{"type", type}, {"id", ref.id}, {"name", nameOf(type, *target)}};
    }
    return Json{{"type", type}, {"id", ref.id}, {"name", pool.at(ref.name)}};
  };
  if (field == "id") return row.id;
  if (field == "type") return "EventLogEntry";
  if (field == "event_type") return pool.at(row.eventType);
  if (field == "attribute_name") {
    return row.attributeName == StringPool::kNone ? Json(nullptr) : Json(pool.at(row.attributeName));
  }
  if (field == "meta") return Json::parse(events.meta(row), nullptr, false);
  if (field == "entity") return link(row.entity, true);
  if (field == "user") return link(row.user, false);
  if (field == "project") return link(row.project, false);
  if (field == "session_uuid") {
    return row.sessionUuid == StringPool::kNone ? Json(nullptr) : Json(pool.at(row.sessionUuid));
  }
  if (field == "created_at") return formatSeconds(row.createdAt);
  return nullptr;
}

EventPageWriter::EventPageWriter(const Site::State& state, const std::vector<std::string>& fields)
    : state_(state) {
  static const std::map<std::string, Field, std::less<>> kFields{{"event_type", Field::EventType},
                                                                 {"attribute_name", Field::AttributeName},
                                                                 {"meta", Field::Meta},
                                                                 {"entity", Field::Entity},
                                                                 {"user", Field::User},
                                                                 {"project", Field::Project},
                                                                 {"session_uuid", Field::SessionUuid},
                                                                 {"created_at", Field::CreatedAt}};
  for (const auto& field : fields) {
    if (field == "id" || field == "type") {
      continue;
    }
    std::string key = ",";
    appendJsonString(key, field);
    key.push_back(':');
    const auto known = kFields.find(field);
    fields_.push_back({known == kFields.end() ? Field::Unknown : known->second, std::move(key)});
  }
}

const EventPageWriter::LinkType& EventPageWriter::linkType(std::uint32_t type) {
  if (type >= linkTypes_.size()) {
    linkTypes_.resize(type + 1);
  }
  LinkType& cached = linkTypes_[type];
  if (!cached.resolved) {
    const auto& name = state_.events.pool().at(type);
    cached.resolved = true;
    appendJsonString(cached.typeJson, name);
    const auto table = state_.tables.find(name);
    cached.table = table == state_.tables.end() ? nullptr : &table->second;
    const auto schema = state_.schema.find(name);
    cached.displayField = schema == state_.schema.end() ? nullptr : &schema->second.displayField;
  }
  return cached;
}

void EventPageWriter::appendLink(std::string& out, const LinkRef& ref, bool nullWhenRetired) {
  if (!ref.present()) {
    out += "null";
    return;
  }
  const LinkType& type = linkType(ref.type);
  const EntityRow* target = nullptr;
  if (type.table) {
    const auto row = type.table->rows.find(ref.id);
    target = row == type.table->rows.end() ? nullptr : &row->second;
  }
  if (target && nullWhenRetired && target->retired) {
    out += "null";
    return;
  }
  out += "{\"type\":";
  out += type.typeJson;
  out += ",\"id\":";
  appendInt(out, ref.id);
  out += ",\"name\":";
  if (!target) {
    appendJsonString(out, state_.events.pool().at(ref.name));
    out.push_back('}');
    return;
  }
  // The target's current name, as nameOf() gives it, without copying the value.
  const auto name = type.displayField ? target->fields.find(*type.displayField) : target->fields.end();
  if (name == target->fields.end()) {
    out += "null";
  } else if (name->is_string()) {
    appendJsonString(out, name->get_ref<const std::string&>());
  } else {
    out += name->dump();
  }
  out.push_back('}');
}

void EventPageWriter::appendOptional(std::string& out, std::uint32_t pooled) {
  if (pooled == StringPool::kNone) {
    out += "null";
  } else {
    appendJsonString(out, state_.events.pool().at(pooled));
  }
}

void EventPageWriter::append(std::string& out, const EventRow& row) {
  const auto& pool = state_.events.pool();
  out += "{\"type\":\"EventLogEntry\",\"id\":";
  appendInt(out, row.id);
  for (const auto& [field, key] : fields_) {
    out += key;
    switch (field) {
      case Field::EventType:
        appendJsonString(out, pool.at(row.eventType));
        break;
      case Field::AttributeName:
        appendOptional(out, row.attributeName);
        break;
      case Field::Meta:
        out += state_.events.meta(row);
        break;
      case Field::Entity:
        appendLink(out, row.entity, true);
        break;
      case Field::User:
        appendLink(out, row.user, false);
        break;
      case Field::Project:
        appendLink(out, row.project, false);
        break;
      case Field::SessionUuid:
        appendOptional(out, row.sessionUuid);
        break;
      case Field::CreatedAt:
        // Rows written in the same second are common (a batch, a status change and its cascade).
        if (createdAtText_.empty() || createdAtSeconds_ != row.createdAt) {
          createdAtSeconds_ = row.createdAt;
          createdAtText_.clear();
          appendJsonString(createdAtText_, formatSeconds(row.createdAt));
        }
        out += createdAtText_;
        break;
      case Field::Unknown:
        out += "null";
        break;
    }
  }
  out.push_back('}');
}

std::optional<PathInfo> Site::State::pathInfo(const std::string& entityType, const std::string& path) const {
  const auto parts = splitPath(path);
  if (parts.size() % 2 == 0) {
    return std::nullopt;
  }
  PathInfo info;
  std::string type = entityType;
  for (std::size_t i = 0; i < parts.size(); i += 2) {
    const auto s = schema.find(type);
    if (s == schema.end()) {
      return std::nullopt;
    }
    const FieldSchema* field = s->second.field(parts[i]);
    if (!field) {
      return std::nullopt;
    }
    if (i + 1 < parts.size()) {
      if (field->type != DataType::Entity && field->type != DataType::MultiEntity) {
        return std::nullopt;
      }
      if (field->type == DataType::MultiEntity) {
        info.throughMulti = true;
      }
      type = parts[i + 1];
    } else {
      info.schema = *field;
    }
  }
  return info;
}

Json Site::State::pathValue(const std::string& entityType, const Record& record,
                            const std::string& path) const {
  if (path.find('.') == std::string::npos) {
    return record.event ? eventField(*record.event, path) : entityField(entityType, *record.entity, path);
  }
  const auto parts = splitPath(path);
  Json value =
      record.event ? eventField(*record.event, parts[0]) : entityField(entityType, *record.entity, parts[0]);
  bool list = false;
  for (std::size_t i = 1; i + 1 < parts.size(); i += 2) {
    const std::string& type = parts[i];
    const std::string& field = parts[i + 1];
    auto hop = [&](const Json& link, Json& out) {
      if (!link.is_object() || link.value("type", "") != type) {
        return;
      }
      const EntityRow* row = findRow(type, link.value("id", std::int64_t{0}));
      if (!row) {
        return;
      }
      Json v = entityField(type, *row, field);
      if (v.is_array()) {
        for (auto& e : v) {
          out.push_back(std::move(e));
        }
      } else {
        out.push_back(std::move(v));
      }
    };
    Json next = Json::array();
    if (value.is_array()) {
      list = true;
      for (const auto& link : value) {
        hop(link, next);
      }
      value = std::move(next);
    } else {
      hop(value, next);
      if (list) {
        value = std::move(next);
      } else {
        value = next.empty() ? Json(nullptr) : (next.size() == 1 ? next[0] : next);
      }
    }
  }
  return value;
}

}  // namespace sgeventd::sim
