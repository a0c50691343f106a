#pragma once
// Internal to src/sim: the state behind Site and the helpers its .cpp files share.
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "sim/event_log.h"
#include "sim/faults.h"
#include "sim/persistence.h"
#include "sim/records.h"
#include "sim/schema.h"
#include "sim/site.h"

namespace sgeventd::sim {

struct EntityTable {
  std::map<std::int64_t, EntityRow> rows;
  std::int64_t nextId = 1;
};

struct ScriptUser {
  Script script;
  std::int64_t apiUserId = 0;
};

// The caller of one api3 request or direct write, as events record it.
struct WriteContext {
  Json user;  // {type,id} link
  std::optional<std::string> sessionUuid;
};

struct Site::State final : RecordSource {
  SiteOptions options;
  core::ClockPtr clock;

  mutable std::shared_mutex mutex;
  SchemaSet schema;
  std::map<std::string, EntityTable> tables;
  EventLog events;
  std::int64_t nextEventId = 1;
  std::map<std::int64_t, HideSpec> hidden;
  std::deque<ScriptUser> scripts;  // deque: references stay valid as demo scripts are added

  FaultPlan faults;
  mutable std::mutex countersMutex;
  Counters counters;

  std::unique_ptr<Persistence> persistence;
  std::set<std::pair<std::string, std::int64_t>> dirtyEntities;
  std::set<std::pair<std::string, std::string>> dirtyFields;
  std::size_t persistedEvents = 0;
  Expected<void> persistError;

  // ---- RecordSource
  std::optional<PathInfo> pathInfo(const std::string& entityType, const std::string& path) const override;
  Json pathValue(const std::string& entityType, const Record& record, const std::string& path) const override;
  std::int64_t nowSeconds() const override;

  // ---- values (site_values.cpp); all need the lock held (shared is enough)
  const EntityRow* findRow(const std::string& type, std::int64_t id) const;
  Json nameOf(const std::string& type, const EntityRow& row) const;
  Json linkFor(const std::string& type, std::int64_t id) const;  // {type,id,name}; name null when unknown
  Json outputValue(const FieldSchema& schema, const Json& stored) const;
  Json entityField(const std::string& type, const EntityRow& row, const std::string& field) const;
  Json eventField(const EventRow& row, const std::string& field) const;
  bool visible(std::int64_t id, std::int64_t nowSec) const;
  Json projectLinkOf(const std::string& type, const EntityRow& row) const;

  // ---- writes (site_write.cpp); need the unique lock
  ApiResult<Json> createLocked(const std::string& type, const Json& fields, const Json& returnFields,
                               const WriteContext& ctx);
  ApiResult<Json> updateLocked(const std::string& type, std::int64_t id, const Json& fields,
                               const Json& modes, const WriteContext& ctx);
  ApiResult<bool> retireLocked(const std::string& type, std::int64_t id, const WriteContext& ctx);
  ApiResult<bool> reviveLocked(const std::string& type, std::int64_t id, const WriteContext& ctx);
  ApiResult<Json> batchLocked(const Json& requests, const WriteContext& ctx);
  std::int64_t logEvent(const NewEvent& event);
  NewEvent eventFor(const std::string& type, const EntityRow& row, const std::string& action,
                    const WriteContext& ctx) const;
  void persistLocked();

  // ---- reads (site_read.cpp); need the shared lock
  ApiResult<Json> readLocked(const Json& params, std::int64_t* rowsOut) const;
  std::optional<std::string> fastEventRead(const Json& params, std::int64_t* rowsOut) const;
  ApiResult<Json> summarizeLocked(const Json& params) const;
  ApiResult<Json> schemaReadLocked(const Json& params, const std::string& method) const;

  // ---- schema edits (site_schema.cpp); need the unique lock
  ApiResult<Json> schemaFieldCreateLocked(const Json& params);
  ApiResult<Json> schemaFieldUpdateLocked(const Json& params);

  WriteContext contextFor(const Actor& actor) const;
  const ScriptUser& addScriptLocked(const Script& script);
  void countCall(const std::string& method, std::int64_t rows);
};

NewEvent::Link toEventLink(const Json& link);

// One read page of EventLogEntry rows as JSON text: the return fields are resolved once, and what rows
// share (a link type's table and display field, the text of the last created_at) is looked up once per
// page instead of per row. Needs the state's lock held (shared is enough) while it lives.
class EventPageWriter {
 public:
  EventPageWriter(const Site::State& state, const std::vector<std::string>& fields);
  void append(std::string& out, const EventRow& row);

 private:
  enum class Field { EventType, AttributeName, Meta, Entity, User, Project, SessionUuid, CreatedAt, Unknown };
  struct LinkType {
    bool resolved = false;
    std::string typeJson;  // the type name as a JSON string
    const EntityTable* table = nullptr;
    const std::string* displayField = nullptr;
  };
  const LinkType& linkType(std::uint32_t type);
  void appendLink(std::string& out, const LinkRef& ref, bool nullWhenRetired);
  void appendOptional(std::string& out, std::uint32_t pooled);

  const Site::State& state_;
  std::vector<std::pair<Field, std::string>> fields_;  // with each its `,"name":` key text
  std::vector<LinkType> linkTypes_;                    // by the type's pool id
  std::int64_t createdAtSeconds_ = 0;
  std::string createdAtText_;
};

}  // namespace sgeventd::sim

namespace sgeventd::sim {
// The api3 field list [{"field_name","value"[,"multi_entity_update_mode"]}] as {field: value} + {field:
// mode}.
ApiResult<void> parseFieldList(const Json& list, Json& fields, Json& modes, const std::string& method);
}  // namespace sgeventd::sim
