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
};

std::string_view dataTypeName(DataType type);
std::optional<DataType> dataTypeFromName(std::string_view name);

struct FieldSchema {
  DataType type = DataType::Text;
  std::vector<std::string> validTypes;  // entity / multi_entity only
  bool editable = true;
  bool builtIn = true;  // false for fields a client added by writing them
};

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

// schema_read / schema_field_read shape of one field, and schema_entity_read shape of one type.
Json fieldSchemaJson(const std::string& entityType, const std::string& fieldName, const FieldSchema& field);
Json entitySchemaJson(const EntitySchema& schema);

}  // namespace sgeventd::sim
