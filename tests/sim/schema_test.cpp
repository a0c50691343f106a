// Schema fidelity: status lists' valid values, schema_field_create / schema_field_update for each data
// type plugins use, and dotted (linked) fields refused instead of becoming new fields.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sim/schema.h"
#include "sim/site.h"
#include "sim_test_util.h"

namespace sgeventd::sim {
namespace {

using namespace testing;

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override { site_ = openSite(); }

  Json call(const std::string& method, Json params) {
    const Json body{
        {"method_name", method},
        {"params", Json::array({{{"script_name", "sgeventd"}, {"script_key", "sim-key"}}, params})}};
    return Json::parse(site_->handleApi3(body.dump()).body);
  }
  static Json props(Json map) {
    Json list = Json::array();
    for (const auto& [k, v] : map.items()) {
      list.push_back({{"property_name", k}, {"value", v}});
    }
    return list;
  }
  Json create(const std::string& type, const std::string& dataType, const std::string& name,
              Json extra = {}) {
    Json properties = props(extra.is_null() ? Json::object() : extra);
    properties.push_back({{"property_name", "name"}, {"value", name}});
    return call("schema_field_create", {{"type", type}, {"data_type", dataType}, {"properties", properties}});
  }
  Json field(const std::string& type, const std::string& name) {
    return call("schema_field_read", {{"type", type}, {"field_name", name}})["results"][name];
  }

  std::unique_ptr<Site> site_;
};

TEST_F(SchemaTest, StatusListsReportTheirValidValuesAndDisplayNames) {
  const Json status = field("Shot", "sg_status_list");
  EXPECT_EQ(status["data_type"]["value"], "status_list");
  EXPECT_EQ(status["properties"]["valid_values"]["value"],
            Json::array({"wtg", "rdy", "ip", "cmpt", "fin", "hld", "omt"}));
  EXPECT_EQ(status["properties"]["default_value"]["value"], "wtg");
  EXPECT_EQ(status["properties"]["display_values"]["value"]["ip"], "In Progress");
  EXPECT_EQ(field("Version", "sg_status_list")["properties"]["valid_values"]["value"],
            Json::array({"na", "rev", "vwd", "apr"}));
  const Json all = call("schema_read", Json::object())["results"];
  EXPECT_EQ(all["Task"]["sg_status_list"]["properties"]["valid_values"]["value"][0], "wtg");
}

TEST_F(SchemaTest, ValidValuesSetInTheSchemaAreReported) {
  ASSERT_EQ(call("schema_field_update",
                 {{"type", "Shot"},
                  {"field_name", "sg_status_list"},
                  {"properties", props({{"valid_values", {"wtg", "ip", "pndg"}}})}})["results"],
            true);
  const Json status = field("Shot", "sg_status_list");
  EXPECT_EQ(status["properties"]["valid_values"]["value"], Json::array({"wtg", "ip", "pndg"}));
  EXPECT_EQ(status["properties"]["display_values"]["value"]["pndg"], "pndg");
}

TEST_F(SchemaTest, CreatesAFieldOfEachDataTypeWithTheSiteProperties) {
  struct Case {
    std::string dataType;
    Json extra;
    Json defaultValue;
  };
  const std::vector<Case> cases{
      {"list", {{"valid_values", {"a", "b"}}}, nullptr},
      {"status_list", Json::object(), "wtg"},
      {"timecode", Json::object(), nullptr},
      {"currency", Json::object(), nullptr},
      {"number", Json::object(), nullptr},
      {"float", Json::object(), nullptr},
      {"text", {{"description", "notes"}}, nullptr},
      {"date", Json::object(), nullptr},
      {"date_time", Json::object(), nullptr},
      {"checkbox", Json::object(), false},
      {"entity", {{"valid_types", {"Asset"}}}, nullptr},
      {"multi_entity", {{"valid_types", {"Asset", "Shot"}}}, Json::array()},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dataType);
    const Json created = create("Shot", c.dataType, "My " + c.dataType + " Field", c.extra);
    ASSERT_FALSE(created.contains("exception")) << created.dump();
    const std::string name = created["results"].get<std::string>();
    EXPECT_EQ(name, fieldNameFor("My " + c.dataType + " Field"));
    EXPECT_EQ(name.rfind("sg_my_", 0), 0u);
    const Json f = field("Shot", name);
    EXPECT_EQ(f["data_type"]["value"], c.dataType);
    EXPECT_EQ(f["name"]["value"], "My " + c.dataType + " Field");
    EXPECT_EQ(f["entity_type"]["value"], "Shot");
    EXPECT_EQ(f["properties"]["default_value"]["value"], c.defaultValue);
    EXPECT_TRUE(f["properties"].contains("summary_default"));
    EXPECT_EQ(f["properties"].contains("valid_values"), c.dataType == "list" || c.dataType == "status_list");
    EXPECT_EQ(f["properties"].contains("valid_types"),
              c.dataType == "entity" || c.dataType == "multi_entity");
    if (c.extra.contains("valid_types")) {
      EXPECT_EQ(f["properties"]["valid_types"]["value"], c.extra["valid_types"]);
    }
    if (c.extra.contains("description")) {
      EXPECT_EQ(f["description"]["value"], "notes");
    }
  }
  // The new fields take values, and a number field refuses text as a site does.
  const Json shot =
      call("create", {{"type", "Shot"},
                      {"fields", Json::array({{{"field_name", "code"}, {"value", "s1"}},
                                              {{"field_name", "sg_my_currency_field"}, {"value", 12.5}},
                                              {{"field_name", "sg_my_list_field"}, {"value", "a"}}})}});
  ASSERT_FALSE(shot.contains("exception")) << shot.dump();
  EXPECT_TRUE(
      call("create", {{"type", "Shot"},
                      {"fields", Json::array({{{"field_name", "sg_my_number_field"}, {"value", "x"}}})}})
          .value("exception", false));
}

TEST_F(SchemaTest, CreateRefusesWhatASiteRefuses) {
  EXPECT_EQ(create("Shot", "entity", "No Types")["error_code"], 103);  // entity without valid_types
  EXPECT_EQ(create("Shot", "entity", "Bad", {{"valid_types", {"Nope"}}})["error_code"], 103);
  EXPECT_EQ(create("Shot", "image", "Pic")["error_code"], 103);                            // not creatable
  EXPECT_EQ(create("Shot", "number", "N", {{"valid_values", {"a"}}})["error_code"], 103);  // not a list
  EXPECT_EQ(create("Nope", "number", "N")["error_code"], 103);
  EXPECT_EQ(call("schema_field_create", {{"type", "Shot"}, {"data_type", "text"}})["error_code"],
            103);  // no name
  // The same display name twice gives two fields.
  EXPECT_EQ(create("Shot", "text", "Twice")["results"], "sg_twice");
  EXPECT_EQ(create("Shot", "text", "Twice")["results"], "sg_twice_1");
}

TEST_F(SchemaTest, UpdateChangesPropertiesAndRefusesOthers) {
  const auto name = create("Asset", "number", "Frames")["results"].get<std::string>();
  EXPECT_EQ(call("schema_field_update", {{"type", "Asset"},
                                         {"field_name", name},
                                         {"properties", props({{"name", "Frame Count"},
                                                               {"description", "how many"},
                                                               {"summary_default", "sum"}})}})["results"],
            true);
  const Json f = field("Asset", name);
  EXPECT_EQ(f["name"]["value"], "Frame Count");
  EXPECT_EQ(f["description"]["value"], "how many");
  EXPECT_EQ(f["properties"]["summary_default"]["value"], "sum");
  EXPECT_EQ(call("schema_field_update", {{"type", "Asset"},
                                         {"field_name", name},
                                         {"properties", props({{"data_type", "text"}})}})["error_code"],
            103);
  EXPECT_EQ(call("schema_field_update", {{"type", "Asset"},
                                         {"field_name", "sg_missing"},
                                         {"properties", props({{"name", "x"}})}})["error_code"],
            103);
}

TEST_F(SchemaTest, DottedLinkedFieldsAreRefusedNotCreated) {
  const Json refused = call("schema_field_update", {{"type", "Task"},
                                                    {"field_name", "entity.Shot.sg_status_list"},
                                                    {"properties", props({{"valid_values", {"ip"}}})}});
  EXPECT_EQ(refused["error_code"], 103);
  EXPECT_EQ(refused["message"], "API schema_field_update() Task.entity.Shot.sg_status_list doesn't exist.");
  const auto task = idOf(site_->create("Task", {{"content", "t"}}));
  const Json update = call(
      "update", {{"type", "Task"},
                 {"id", task},
                 {"fields", Json::array({{{"field_name", "entity.Shot.sg_status_list"}, {"value", "ip"}}})}});
  EXPECT_EQ(update["error_code"], 103);
  EXPECT_TRUE(call("schema_field_read", {{"type", "Task"}, {"field_name", "entity.Shot.sg_status_list"}})
                  .value("exception", false));
}

TEST_F(SchemaTest, CreatedFieldsSurviveAReopen) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sim-schema-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  SiteOptions options;
  options.dataFile = (dir / "site.sqlite").string();
  site_ = openSite(options);
  const auto name =
      create("Shot", "status_list", "Review", {{"valid_values", {"a", "b"}}, {"description", "d"}})["results"]
          .get<std::string>();
  site_.reset();
  site_ = openSite(options);
  const Json f = field("Shot", name);
  EXPECT_EQ(f["properties"]["valid_values"]["value"], Json::array({"a", "b"}));
  EXPECT_EQ(f["name"]["value"], "Review");
  EXPECT_EQ(f["description"]["value"], "d");
  site_.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sgeventd::sim
