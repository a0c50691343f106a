// schema_field_create and schema_field_update: fields a plugin adds to the site, and the properties it
// changes on them, as a site validates them.
#include <algorithm>

#include "sim/site_state.h"

namespace sgeventd::sim {
namespace {

// Properties a script may set, and which data types have each one (none: every type).
struct PropertyRule {
  const char* name;
  std::vector<DataType> types;
};

const std::vector<PropertyRule>& propertyRules() {
  static const std::vector<PropertyRule> rules{
      {"name", {}},
      {"description", {}},
      {"custom_metadata", {}},
      {"default_value", {}},
      {"summary_default", {}},
      {"valid_values", {DataType::List, DataType::StatusList}},
      {"valid_types", {DataType::Entity, DataType::MultiEntity}},
      {"display_values", {DataType::StatusList}},
      {"hidden_values", {DataType::StatusList}},
  };
  return rules;
}

bool isStringList(const Json& value) {
  return value.is_array() &&
         std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); });
}

// [{"property_name", "value"}] (shotgun_api3's shape) as {name: value}.
ApiResult<Json> propertyMap(const Json& list, const std::string& method) {
  Json out = Json::object();
  if (list.is_null()) {
    return out;
  }
  if (!list.is_array()) {
    return apiFail(103, "API " + method + "() properties must be an array of {property_name, value}");
  }
  for (const auto& item : list) {
    if (!item.is_object() || !item.contains("property_name") || !item["property_name"].is_string()) {
      return apiFail(103, "API " + method + "() every property needs a property_name");
    }
    out[item["property_name"].get<std::string>()] = item.value("value", Json(nullptr));
  }
  return out;
}

// Checks each property against the field's data type and writes it into `field`.
ApiResult<void> applyProperties(const SchemaSet& schema, const std::string& method, const std::string& where,
                                FieldSchema& field, const Json& properties) {
  for (const auto& [name, value] : properties.items()) {
    const auto& rules = propertyRules();
    const auto rule =
        std::find_if(rules.begin(), rules.end(), [&](const PropertyRule& r) { return name == r.name; });
    if (rule == rules.end()) {
      return apiFail(103, "API " + method + "() " + where + ": property '" + name + "' is not editable");
    }
    if (!rule->types.empty() &&
        std::find(rule->types.begin(), rule->types.end(), field.type) == rule->types.end()) {
      return apiFail(103, "API " + method + "() " + where + ": property '" + name + "' does not apply to " +
                              std::string(dataTypeName(field.type)) + " fields");
    }
    if (name == "name" && (!value.is_string() || value.get<std::string>().empty())) {
      return apiFail(103, "API " + method + "() " + where + ": name must be a non-empty string");
    }
    if (name == "valid_values" || name == "valid_types" || name == "hidden_values") {
      if (!isStringList(value)) {
        return apiFail(103, "API " + method + "() " + where + ": " + name + " must be a list of strings");
      }
      const auto list = value.get<std::vector<std::string>>();
      if (name == "valid_types") {
        for (const auto& type : list) {
          if (!schema.count(type)) {
            return apiFail(103, "API " + method + "() " + where +
                                    ": valid_types names unknown entity type '" + type + "'");
          }
        }
        field.validTypes = list;
      } else if (name == "valid_values") {
        field.validValues = list;
      } else {
        field.properties[name] = value;
      }
      continue;
    }
    field.properties[name] = value;
  }
  if ((field.type == DataType::Entity || field.type == DataType::MultiEntity) && field.validTypes.empty()) {
    return apiFail(103, "API " + method + "() " + where + ": an " + std::string(dataTypeName(field.type)) +
                            " field needs valid_types");
  }
  return {};
}

}  // namespace

ApiResult<Json> Site::State::schemaFieldCreateLocked(const Json& params) {
  const std::string method = "schema_field_create";
  const std::string type = params.is_object() ? params.value("type", "") : "";
  const auto es = schema.find(type);
  if (es == schema.end() || type == "EventLogEntry") {
    return apiFail(103, "API " + method + "() unknown entity type '" + type + "'");
  }
  const std::string typeName = params.is_object() ? params.value("data_type", "") : "";
  const auto dataType = dataTypeFromName(typeName);
  if (!dataType || !creatableType(*dataType)) {
    return apiFail(103,
                   "API " + method + "() '" + typeName + "' is not a data type a field can be created with");
  }
  auto properties = propertyMap(params.value("properties", Json(nullptr)), method);
  if (!properties) {
    return tl::unexpected(properties.error());
  }
  if (!properties->contains("name") || !(*properties)["name"].is_string() ||
      (*properties)["name"].get<std::string>().empty()) {
    return apiFail(103, "API " + method + "() needs a display name (the 'name' property)");
  }
  FieldSchema field;
  field.type = *dataType;
  field.builtIn = false;
  if (field.type == DataType::StatusList) {
    field.validValues = defaultStatuses("");
  }
  if (auto applied = applyProperties(schema, method, type, field, *properties); !applied) {
    return tl::unexpected(applied.error());
  }
  // Display names need not be unique; system names are, so a clash gets a number.
  const std::string base = fieldNameFor((*properties)["name"].get<std::string>());
  std::string name = base;
  for (int n = 1; es->second.fields.count(name); ++n) {
    name = base + "_" + std::to_string(n);
  }
  es->second.fields[name] = std::move(field);
  dirtyFields.insert({type, name});
  return Json(name);
}

ApiResult<Json> Site::State::schemaFieldUpdateLocked(const Json& params) {
  const std::string method = "schema_field_update";
  const std::string type = params.is_object() ? params.value("type", "") : "";
  const auto es = schema.find(type);
  if (es == schema.end()) {
    return apiFail(103, "API " + method + "() unknown entity type '" + type + "'");
  }
  const std::string name = params.value("field_name", "");
  // A dotted path (entity.Shot.sg_status_list) names a field of a linked entity, never one of `type`:
  // the site says it does not exist rather than creating it.
  auto& fields = es->second.fields;
  const auto current = name.find('.') == std::string::npos ? fields.find(name) : fields.end();
  if (current == fields.end()) {
    return apiFail(103, "API " + method + "() " + type + "." + name + " doesn't exist.");
  }
  auto properties = propertyMap(params.value("properties", Json(nullptr)), method);
  if (!properties) {
    return tl::unexpected(properties.error());
  }
  FieldSchema updated = current->second;
  if (auto applied = applyProperties(schema, method, type + "." + name, updated, *properties); !applied) {
    return tl::unexpected(applied.error());
  }
  current->second = std::move(updated);
  dirtyFields.insert({type, name});
  return Json(true);
}

}  // namespace sgeventd::sim
