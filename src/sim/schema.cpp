#include "sim/schema.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "shotgrid/datetime.h"

namespace sgeventd::sim {
namespace {

constexpr std::array<std::pair<DataType, std::string_view>, 18> kTypeNames{{
    {DataType::Text, "text"},
    {DataType::Number, "number"},
    {DataType::Float, "float"},
    {DataType::Checkbox, "checkbox"},
    {DataType::Date, "date"},
    {DataType::DateTime, "date_time"},
    {DataType::Entity, "entity"},
    {DataType::MultiEntity, "multi_entity"},
    {DataType::StatusList, "status_list"},
    {DataType::List, "list"},
    {DataType::Serializable, "serializable"},
    {DataType::Url, "url"},
    {DataType::Uuid, "uuid"},
    {DataType::Duration, "duration"},
    {DataType::Timecode, "timecode"},
    {DataType::Image, "image"},
    {DataType::Currency, "currency"},
    {DataType::Percent, "percent"},
}};

const std::vector<std::string> kUsers{"HumanUser", "ApiUser"};
const std::vector<std::string> kLinkable{
    "Project",        "Sequence",       "Shot",           "Asset",          "Task",
    "Step",           "Version",        "Note",           "HumanUser",      "ApiUser",
    "Group",          "Status",         "TaskTemplate",   "PublishedFile",  "Playlist",
    "CustomEntity01", "CustomEntity02", "CustomEntity03", "CustomEntity04", "CustomEntity05",
    "CustomEntity06", "CustomEntity07", "CustomEntity08", "CustomEntity09", "CustomEntity10"};

FieldSchema f(DataType type, std::vector<std::string> validTypes = {}, bool editable = true) {
  FieldSchema field;
  field.type = type;
  field.validTypes = std::move(validTypes);
  field.editable = editable;
  return field;
}

FieldSchema statusField(std::string_view entityType) {
  FieldSchema field = f(DataType::StatusList);
  field.validValues = defaultStatuses(entityType);
  return field;
}

EntitySchema base(std::string displayName, std::string displayField, bool projectScoped) {
  EntitySchema s;
  s.displayName = std::move(displayName);
  s.displayField = std::move(displayField);
  s.projectScoped = projectScoped;
  s.fields["id"] = f(DataType::Number, {}, false);
  s.fields["created_at"] = f(DataType::DateTime, {}, false);
  s.fields["updated_at"] = f(DataType::DateTime, {}, false);
  s.fields["created_by"] = f(DataType::Entity, kUsers, false);
  s.fields["updated_by"] = f(DataType::Entity, kUsers, false);
  s.fields["description"] = f(DataType::Text);
  s.fields["image"] = f(DataType::Image);
  s.fields["cached_display_name"] = f(DataType::Text, {}, false);
  s.fields[s.displayField] = f(DataType::Text);
  if (projectScoped) {
    s.fields["project"] = f(DataType::Entity, {"Project"});
    s.fields["sg_status_list"] = statusField(s.displayName);
  }
  return s;
}

}  // namespace

std::string_view dataTypeName(DataType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) {
      return name;
    }
  }
  return "text";
}

std::optional<DataType> dataTypeFromName(std::string_view name) {
  for (const auto& [t, n] : kTypeNames) {
    if (n == name) {
      return t;
    }
  }
  return std::nullopt;
}

const FieldSchema* EntitySchema::field(std::string_view name) const {
  auto it = fields.find(std::string(name));
  return it == fields.end() ? nullptr : &it->second;
}

SchemaSet builtinSchema() {
  SchemaSet set;
  auto& project = set["Project"] = base("Project", "name", false);
  project.fields["sg_status"] = f(DataType::List);
  project.fields["sg_type"] = f(DataType::List);
  project.fields["users"] = f(DataType::MultiEntity, {"HumanUser"});
  project.fields["archived"] = f(DataType::Checkbox);
  project.fields["is_template"] = f(DataType::Checkbox);
  project.fields["start_date"] = f(DataType::Date);
  project.fields["end_date"] = f(DataType::Date);
  project.fields["code"] = f(DataType::Text);

  auto& seq = set["Sequence"] = base("Sequence", "code", true);
  seq.fields["shots"] = f(DataType::MultiEntity, {"Shot"});
  seq.fields["assets"] = f(DataType::MultiEntity, {"Asset"});

  auto& shot = set["Shot"] = base("Shot", "code", true);
  shot.fields["sg_sequence"] = f(DataType::Entity, {"Sequence"});
  shot.fields["sg_cut_in"] = f(DataType::Number);
  shot.fields["sg_cut_out"] = f(DataType::Number);
  shot.fields["sg_cut_duration"] = f(DataType::Number);
  shot.fields["sg_frame_rate"] = f(DataType::Float);
  shot.fields["sg_working_duration"] = f(DataType::Duration);
  shot.fields["sg_timecode_in"] = f(DataType::Timecode);
  shot.fields["sg_metadata"] = f(DataType::Serializable);
  shot.fields["sg_uuid"] = f(DataType::Uuid);
  shot.fields["sg_final"] = f(DataType::Checkbox);
  shot.fields["sg_due_date"] = f(DataType::Date);
  shot.fields["sg_shot_type"] = f(DataType::List);
  shot.fields["assets"] = f(DataType::MultiEntity, {"Asset"});
  shot.fields["tasks"] = f(DataType::MultiEntity, {"Task"});

  auto& asset = set["Asset"] = base("Asset", "code", true);
  asset.fields["sg_asset_type"] = f(DataType::List);
  asset.fields["shots"] = f(DataType::MultiEntity, {"Shot"});
  asset.fields["tasks"] = f(DataType::MultiEntity, {"Task"});

  auto& task = set["Task"] = base("Task", "content", true);
  task.fields["entity"] = f(DataType::Entity, kLinkable);
  task.fields["step"] = f(DataType::Entity, {"Step"});
  task.fields["task_assignees"] = f(DataType::MultiEntity, {"HumanUser", "Group"});
  task.fields["start_date"] = f(DataType::Date);
  task.fields["due_date"] = f(DataType::Date);
  task.fields["duration"] = f(DataType::Duration);
  task.fields["est_in_mins"] = f(DataType::Duration);
  task.fields["sg_description"] = f(DataType::Text);
  task.fields["template_task"] = f(DataType::Entity, {"Task"});

  auto& step = set["Step"] = base("Pipeline Step", "code", false);
  step.fields["short_name"] = f(DataType::Text);
  step.fields["entity_type"] = f(DataType::Text);
  step.fields["color"] = f(DataType::Text);
  step.fields["list_order"] = f(DataType::Number);

  auto& version = set["Version"] = base("Version", "code", true);
  version.fields["entity"] = f(DataType::Entity, kLinkable);
  version.fields["sg_task"] = f(DataType::Entity, {"Task"});
  version.fields["user"] = f(DataType::Entity, {"HumanUser", "ApiUser"});
  version.fields["sg_path_to_movie"] = f(DataType::Text);
  version.fields["sg_path_to_frames"] = f(DataType::Text);
  version.fields["sg_uploaded_movie"] = f(DataType::Url);
  version.fields["frame_count"] = f(DataType::Number);
  version.fields["sg_first_frame"] = f(DataType::Number);
  version.fields["sg_last_frame"] = f(DataType::Number);
  version.fields["playlists"] = f(DataType::MultiEntity, {"Playlist"});
  version.fields["published_files"] = f(DataType::MultiEntity, {"PublishedFile"});

  auto& note = set["Note"] = base("Note", "subject", true);
  note.fields["content"] = f(DataType::Text);
  note.fields["note_links"] = f(DataType::MultiEntity, kLinkable);
  note.fields["tasks"] = f(DataType::MultiEntity, {"Task"});
  note.fields["addressings_to"] = f(DataType::MultiEntity, {"HumanUser", "Group"});
  note.fields["addressings_cc"] = f(DataType::MultiEntity, {"HumanUser", "Group"});
  note.fields["user"] = f(DataType::Entity, {"HumanUser", "ApiUser"});

  auto& human = set["HumanUser"] = base("Person", "name", false);
  human.fields["login"] = f(DataType::Text);
  human.fields["firstname"] = f(DataType::Text);
  human.fields["lastname"] = f(DataType::Text);
  human.fields["email"] = f(DataType::Text);
  human.fields["sg_status_list"] = statusField("HumanUser");
  human.fields["projects"] = f(DataType::MultiEntity, {"Project"});
  human.fields["groups"] = f(DataType::MultiEntity, {"Group"});

  auto& api = set["ApiUser"] = base("Script", "firstname", false);
  api.fields["lastname"] = f(DataType::Text);
  api.fields["email"] = f(DataType::Text);
  api.fields["projects"] = f(DataType::MultiEntity, {"Project"});

  auto& group = set["Group"] = base("Group", "code", false);
  group.fields["users"] = f(DataType::MultiEntity, {"HumanUser"});

  auto& status = set["Status"] = base("Status", "name", false);
  status.fields["code"] = f(DataType::Text);
  status.fields["bg_color"] = f(DataType::Text);

  auto& tmpl = set["TaskTemplate"] = base("Task Template", "code", false);
  tmpl.fields["entity_type"] = f(DataType::Text);

  auto& published = set["PublishedFile"] = base("Published File", "code", true);
  published.fields["name"] = f(DataType::Text);
  published.fields["entity"] = f(DataType::Entity, kLinkable);
  published.fields["task"] = f(DataType::Entity, {"Task"});
  published.fields["version"] = f(DataType::Entity, {"Version"});
  published.fields["path"] = f(DataType::Url);
  published.fields["version_number"] = f(DataType::Number);

  auto& playlist = set["Playlist"] = base("Playlist", "code", true);
  playlist.fields["versions"] = f(DataType::MultiEntity, {"Version"});
  playlist.fields["sg_date_and_time"] = f(DataType::DateTime);
  playlist.fields["locked"] = f(DataType::Checkbox);

  for (int i = 1; i <= 10; ++i) {
    const std::string name = std::string("CustomEntity") + (i < 10 ? "0" : "") + std::to_string(i);
    set[name] = base(name, "code", true);
  }

  EntitySchema events;
  events.displayName = "Event Log Entry";
  events.displayField = "description";
  events.fields["id"] = f(DataType::Number, {}, false);
  events.fields["event_type"] = f(DataType::Text, {}, false);
  events.fields["attribute_name"] = f(DataType::Text, {}, false);
  events.fields["meta"] = f(DataType::Serializable, {}, false);
  events.fields["entity"] = f(DataType::Entity, kLinkable, false);
  events.fields["user"] = f(DataType::Entity, kUsers, false);
  events.fields["project"] = f(DataType::Entity, {"Project"}, false);
  events.fields["session_uuid"] = f(DataType::Uuid, {}, false);
  events.fields["created_at"] = f(DataType::DateTime, {}, false);
  events.fields["description"] = f(DataType::Text, {}, false);
  events.fields["cached_display_name"] = f(DataType::Text);
  events.fields["image"] = f(DataType::Image);
  events.fields["filmstrip_image"] = f(DataType::Image);
  set["EventLogEntry"] = std::move(events);
  return set;
}

FieldSchema inferFieldSchema(const Json& value) {
  FieldSchema schema;
  schema.builtIn = false;
  if (value.is_boolean()) {
    schema.type = DataType::Checkbox;
  } else if (value.is_number_integer()) {
    schema.type = DataType::Number;
  } else if (value.is_number()) {
    schema.type = DataType::Float;
  } else if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (shotgrid::isApi3DateTime(s)) {
      schema.type = DataType::DateTime;
    } else if (s.size() == 10 && shotgrid::parseDateTime(s + "T00:00:00Z")) {
      schema.type = DataType::Date;
    }
  } else if (value.is_object() && value.contains("type") && value.contains("id")) {
    schema.type = DataType::Entity;
    if (value["type"].is_string()) {
      schema.validTypes.push_back(value["type"].get<std::string>());
    }
  } else if (value.is_object() && (value.contains("url") || value.contains("link_type"))) {
    schema.type = DataType::Url;
  } else if (value.is_array() && !value.empty() && value[0].is_object() && value[0].contains("type") &&
             value[0].contains("id")) {
    schema.type = DataType::MultiEntity;
    for (const auto& link : value) {
      if (link.is_object() && link.contains("type") && link["type"].is_string()) {
        const auto type = link["type"].get<std::string>();
        if (std::find(schema.validTypes.begin(), schema.validTypes.end(), type) == schema.validTypes.end()) {
          schema.validTypes.push_back(type);
        }
      }
    }
  } else if (value.is_object() || value.is_array()) {
    schema.type = DataType::Serializable;
  }
  return schema;
}

const std::vector<std::pair<std::string, std::string>>& standardStatuses() {
  static const std::vector<std::pair<std::string, std::string>> statuses{
      {"wtg", "Waiting to Start"}, {"rdy", "Ready to Start"}, {"ip", "In Progress"},
      {"rev", "Pending Review"},   {"cmpt", "Complete"},      {"fin", "Final"},
      {"hld", "On Hold"},          {"omt", "Omit"},           {"na", "N/A"},
      {"vwd", "Viewed"},           {"apr", "Approved"},       {"opn", "Open"},
      {"clsd", "Closed"},          {"act", "Active"},         {"dis", "Disabled"},
  };
  return statuses;
}

std::vector<std::string> defaultStatuses(std::string_view entityType) {
  if (entityType == "Task") {
    return {"wtg", "rdy", "ip", "rev", "hld", "fin", "omt"};
  }
  if (entityType == "Version") {
    return {"na", "rev", "vwd", "apr"};
  }
  if (entityType == "Note") {
    return {"opn", "ip", "clsd"};
  }
  if (entityType == "HumanUser") {
    return {"act", "dis"};
  }
  return {"wtg", "rdy", "ip", "cmpt", "fin", "hld", "omt"};
}

bool creatableType(DataType type) {
  switch (type) {
    case DataType::List:
    case DataType::StatusList:
    case DataType::Timecode:
    case DataType::Currency:
    case DataType::Number:
    case DataType::Float:
    case DataType::Text:
    case DataType::Date:
    case DataType::DateTime:
    case DataType::Checkbox:
    case DataType::Entity:
    case DataType::MultiEntity:
    case DataType::Duration:
    case DataType::Percent:
    case DataType::Url:
      return true;
    default:
      return false;
  }
}

std::string fieldNameFor(std::string_view displayName) {
  std::string name = "sg_";
  for (const char c : displayName) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      name += static_cast<char>(std::tolower(u));
    } else if (name.back() != '_') {
      name += '_';
    }
  }
  while (name.size() > 3 && name.back() == '_') {
    name.pop_back();
  }
  return name;
}

Json fieldSchemaJson(const std::string& entityType, const std::string& fieldName, const FieldSchema& field) {
  auto prop = [](Json value, bool editable) {
    return Json{{"value", std::move(value)}, {"editable", editable}};
  };
  const Json& set = field.properties;
  auto given = [&set](const char* key, Json fallback) {
    return set.contains(key) ? set[key] : std::move(fallback);
  };
  Json properties = Json::object();
  Json defaultValue = nullptr;
  Json summary = "none";
  switch (field.type) {
    case DataType::MultiEntity:
      defaultValue = Json::array();
      break;
    case DataType::Checkbox:
      defaultValue = false;
      summary = "checked";
      break;
    case DataType::StatusList:
      defaultValue = field.validValues.empty() ? Json(nullptr) : Json(field.validValues.front());
      summary = "status_list";
      break;
    default:
      break;
  }
  properties["default_value"] = prop(given("default_value", defaultValue), true);
  properties["summary_default"] = prop(given("summary_default", summary), true);
  if (field.type == DataType::Entity || field.type == DataType::MultiEntity) {
    properties["valid_types"] = prop(field.validTypes, true);
  }
  if (field.type == DataType::StatusList || field.type == DataType::List) {
    properties["valid_values"] = prop(field.validValues, true);
  }
  if (field.type == DataType::StatusList) {
    Json display = Json::object();
    for (const auto& code : field.validValues) {
      const auto& standard = standardStatuses();
      const auto it =
          std::find_if(standard.begin(), standard.end(), [&](const auto& s) { return s.first == code; });
      display[code] = it == standard.end() ? code : it->second;
    }
    if (set.contains("display_values") && set["display_values"].is_object()) {
      display.update(set["display_values"]);
    }
    properties["display_values"] = prop(std::move(display), false);
    properties["hidden_values"] = prop(given("hidden_values", Json::array()), false);
  }
  return Json{{"data_type", prop(std::string(dataTypeName(field.type)), false)},
              {"properties", std::move(properties)},
              {"name", prop(given("name", fieldName), true)},
              {"editable", prop(field.editable, false)},
              {"mandatory", prop(false, false)},
              {"unique", prop(false, false)},
              {"visible", prop(true, false)},
              {"ui_value_displayable", prop(true, false)},
              {"entity_type", prop(entityType, false)},
              {"custom_metadata", prop(given("custom_metadata", ""), true)},
              {"description", prop(given("description", ""), true)}};
}

Json entitySchemaJson(const EntitySchema& schema) {
  return Json{{"name", {{"value", schema.displayName}, {"editable", false}}},
              {"visible", {{"value", true}, {"editable", false}}}};
}

}  // namespace sgeventd::sim
