// EventLogEntry records (protocol doc §3.1) decoded into core::Event.
#include <string>

#include "shotgrid/client.h"
#include "shotgrid/datetime.h"
#include "shotgrid/event_codec.h"
#include "shotgrid/response.h"

namespace sgeventd::shotgrid {
namespace {

constexpr auto kReplaceInvalid = Json::error_handler_t::replace;  // the same type for ordered_json

// Both JSON flavours: Json (sorted keys) and nlohmann::ordered_json (the reply's key order).
template <class J>
std::optional<std::string> takeString(J& record, const char* key) {
  const auto it = record.find(key);
  if (it == record.end() || !it->is_string()) {
    return std::nullopt;
  }
  return std::move(it->template get_ref<std::string&>());
}

template <class J>
std::optional<core::EntityRef> takeEntity(J& record, const char* key) {
  const auto it = record.find(key);
  if (it == record.end() || !it->is_object()) {
    return std::nullopt;
  }
  const auto type = it->find("type");
  const auto id = it->find("id");
  if (type == it->end() || !type->is_string() || id == it->end() || !id->is_number_integer()) {
    return std::nullopt;
  }
  core::EntityRef ref;
  ref.type = std::move(type->template get_ref<std::string&>());
  ref.id = id->template get<std::int64_t>();
  const auto name = it->find("name");
  if (name != it->end() && name->is_string()) {
    ref.name = std::move(name->template get_ref<std::string&>());
  }
  return ref;
}

template <class J>
Expected<core::Event> decodeRecord(J& record) {
  if (!record.is_object()) {
    return fail("EventLogEntry record is not an object");
  }
  const auto id = record.find("id");
  if (id == record.end() || !id->is_number_integer()) {
    return fail("EventLogEntry record without an integer id");
  }
  core::Event event;
  event.id = id->template get<std::int64_t>();
  // The text forms first: everything below moves strings out of the record.
  event.json = record.dump(-1, ' ', false, kReplaceInvalid);
  const auto meta = record.find("meta");
  if (meta != record.end()) {
    event.metaJson = meta->dump(-1, ' ', false, kReplaceInvalid);
  }
  const auto created = record.find("created_at");
  if (created != record.end() && created->is_string()) {
    // A created_at this daemon cannot hold (before 1678, after 2261) or cannot read is an error for that
    // field only: the event keeps its id and everything else, and goes on without a creation time (the
    // gap deadline then counts from now, as for a record without one). Dropping the event, or clamping
    // the date and so inventing a deadline, would both be worse than not knowing it.
    event.createdAt = parseDateTime(created->template get_ref<const std::string&>());
  }
  event.eventType = takeString(record, "event_type").value_or(std::string());
  event.attributeName = takeString(record, "attribute_name");
  event.sessionUuid = takeString(record, "session_uuid");
  event.entity = takeEntity(record, "entity");
  event.user = takeEntity(record, "user");
  event.project = takeEntity(record, "project");
  return event;
}

}  // namespace

const std::vector<std::string>& eventFields() {
  static const std::vector<std::string> kFields = {"id",      "event_type",   "attribute_name",
                                                   "meta",    "entity",       "user",
                                                   "project", "session_uuid", "created_at"};
  return kFields;
}

Expected<core::Event> eventFromRecord(Json&& record) { return decodeRecord(record); }

Expected<core::Event> eventFromRecord(nlohmann::ordered_json&& record) { return decodeRecord(record); }

Expected<core::Event> eventFromJson(const Json& record) { return eventFromRecord(Json(record)); }

Result<std::vector<core::Event>> eventsFromBody(nlohmann::ordered_json&& body) {
  auto entities = entitiesOf(takeResults(std::move(body)));
  if (!entities) {
    return tl::unexpected(std::move(entities.error()));
  }
  std::vector<core::Event> events;
  events.reserve(entities->size());
  for (auto& record : *entities) {
    auto event = eventFromRecord(std::move(record));
    if (!event) {
      return tl::unexpected(ClientError{ErrorKind::Malformed, std::move(event.error().message)});
    }
    events.push_back(std::move(*event));
  }
  return events;
}

}  // namespace sgeventd::shotgrid
