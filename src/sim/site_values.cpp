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

void Site::State::appendEventJson(std::string& out, const EventRow& row,
                                  const std::vector<std::string>& fields) const {
  const auto& pool = events.pool();
  auto writeLink = [&](const LinkRef& ref, bool nullWhenRetired) {
    if (!ref.present()) {
      out += "null";
      return;
    }
    const auto& type = pool.at(ref.type);
    const EntityRow* target = findRow(type, ref.id);
    if (target && nullWhenRetired && target->retired) {
      out += "null";
      return;
    }
    out += "{\"type\":";
    appendJsonString(out, type);
    out += ",\"id\":";
    appendInt(out, ref.id);
    out += ",\"name\":";
    if (target) {
      out += nameOf(type, *target).dump();
    } else {
      appendJsonString(out, pool.at(ref.name));
    }
    out.push_back('}');
  };
  out += "{\"type\":\"EventLogEntry\",\"id\":";
  appendInt(out, row.id);
  for (const auto& field : fields) {
    if (field == "id" || field == "type") {
      continue;
    }
    out.push_back(',');
    appendJsonString(out, field);
    out.push_back(':');
    if (field == "event_type") {
      appendJsonString(out, pool.at(row.eventType));
    } else if (field == "attribute_name") {
      if (row.attributeName == StringPool::kNone) {
        out += "null";
      } else {
        appendJsonString(out, pool.at(row.attributeName));
      }
    } else if (field == "meta") {
      out += events.meta(row);
    } else if (field == "entity") {
      writeLink(row.entity, true);
    } else if (field == "user") {
      writeLink(row.user, false);
    } else if (field == "project") {
      writeLink(row.project, false);
    } else if (field == "session_uuid") {
      if (row.sessionUuid == StringPool::kNone) {
        out += "null";
      } else {
        appendJsonString(out, pool.at(row.sessionUuid));
      }
    } else if (field == "created_at") {
      appendJsonString(out, formatSeconds(row.createdAt));
    } else {
      out += "null";
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
