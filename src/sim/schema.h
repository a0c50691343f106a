#pragma once
// The simulated site's schema: which fields each entity type has and their data types
// (protocol doc §1.9, §5). Built-in per type; fields clients invent are added with an inferred type.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgeventd::sim {

using Json = nlohmann::json;

enum class DataType {
  Text,
  Number,
  Float,
  Checkbox,
  Date,
  DateTime,
  Entity,
  MultiEntity,
  StatusList,
  List,
  Serializable,
  Url,
  Uuid,
  Duration,
  Timecode,
  Image,
  Currency,
  Percent,
};

std::string_view dataTypeName(DataType type);
std::optional<DataType> dataTypeFromName(std::string_view name);

struct FieldSchema {
  DataType type = DataType::Text;
  std::vector<std::string> validTypes;  // entity / multi_entity only
  bool editable = true;
  bool builtIn = true;                   // false for fields a client added by writing them
  std::vector<std::string> validValues;  // list / status_list only
  // Set by schema_field_create / schema_field_update: name (the display name), description,
  // custom_metadata, default_value, summary_default, display_values, hidden_values.
  Json properties = Json::object();
};

// The statuses a new site has, with their display names; a status_list field offers some of them.
const std::vector<std::pair<std::string, std::string>>& standardStatuses();
// The valid_values a site gives the sg_status_list of `entityType` (a new status_list field: the first).
std::vector<std::string> defaultStatuses(std::string_view entityType);

struct EntitySchema {
  std::string displayName;   // "Event Log Entry"
  std::string displayField;  // the field a link's `name` comes from: code, content, name, login, subject
  bool projectScoped = false;
  std::map<std::string, FieldSchema> fields;

  const FieldSchema* field(std::string_view name) const;
};

using SchemaSet = std::map<std::string, EntitySchema>;

// Every common entity type with its fields; EventLogEntry as §3.1 lists it.
SchemaSet builtinSchema();

// The data type a site would give a new field from the first value written to it.
FieldSchema inferFieldSchema(const Json& value);

// The data types schema_field_create accepts.
bool creatableType(DataType type);
// "sg_" and the display name in lower case, each run of other characters as one "_".
std::string fieldNameFor(std::string_view displayName);

// schema_read / schema_field_read shape of one field, and schema_entity_read shape of one type.
Json fieldSchemaJson(const std::string& entityType, const std::string& fieldName, const FieldSchema& field);
Json entitySchemaJson(const EntitySchema& schema);

}  // namespace sgeventd::sim
