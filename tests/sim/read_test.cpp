// api3 methods through handleApi3: reply shapes, sorting and paging, errors 102/103/104, summarize, schema.
#include "sim_test_util.h"

namespace sgeventd::sim {
namespace {

using namespace testing;

class Api3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    site_ = openSite();
    project_ = idOf(site_->create("Project", {{"name", "Bunny"}}));
    const int cutIns[] = {30, 10, 20, 10, 40};
    const char* status[] = {"ip", "wtg", "ip", "fin", "wtg"};
    for (int i = 0; i < 5; ++i) {
      idOf(site_->create("Shot", {{"code", "sh" + std::to_string(i + 1)},
                                  {"project", link("Project", project_)},
                                  {"sg_cut_in", cutIns[i]},
                                  {"sg_status_list", status[i]}}));
    }
  }

  Json results(const std::string& method, const Json& params) {
    const Json reply = site_->call(method, params);
    EXPECT_TRUE(reply.contains("results")) << method << ": " << reply.dump();
    return reply.value("results", Json(nullptr));
  }

  std::unique_ptr<Site> site_;
  std::int64_t project_ = 0;
};

TEST_F(Api3Test, InfoNeedsNoAuthAndReportsAModernVersion) {
  const HttpReply reply = site_->handleApi3(R"({"method_name":"info","params":[]})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.contentType, "application/json; charset=utf-8");
  const Json info = Json::parse(reply.body)["results"];
  EXPECT_EQ(info["version"], Json::array({8, 50, 0}));
  EXPECT_EQ(info["full_version"], Json::array({8, 50, 0, 0}));
  EXPECT_EQ(info["user_authentication_method"], "default");
  EXPECT_EQ(info["api_max_entities_per_page"], 500);
}

TEST_F(Api3Test, ReadReturnsTypeIdFieldsAndFullPagingInfo) {
  Json params = readParams("Shot", all(Json::array({cond("sg_status_list", "is", "ip")})),
                           Json::array({"code", "project", "project.Project.name"}));
  const Json r = results("read", params);
  ASSERT_EQ(r["entities"].size(), 2u);
  const Json& first = r["entities"][0];
  EXPECT_EQ(first["type"], "Shot");
  EXPECT_EQ(first["id"], 1);
  EXPECT_EQ(first["code"], "sh1");
  EXPECT_EQ(first["project"], (Json{{"type", "Project"}, {"id", project_}, {"name", "Bunny"}}));
  EXPECT_EQ(first["project.Project.name"], "Bunny");
  EXPECT_EQ(r["paging_info"], (Json{{"current_page", 1},
                                    {"page_count", 1},
                                    {"entity_count", 2},
                                    {"entities_per_page", 500},
                                    {"has_next_page", false}}));
}

TEST_F(Api3Test, SortsByManyKeysWithIdTiebreakAndPages) {
  Json params = readParams("Shot", all(Json::array()), Json::array({"sg_cut_in"}));
  params["sorts"] = Json::array({{{"field_name", "sg_cut_in"}, {"direction", "asc"}}});
  EXPECT_EQ(ids(results("read", params)), (std::vector<std::int64_t>{2, 4, 3, 1, 5}));
  params["sorts"] = Json::array({{{"field_name", "sg_status_list"}, {"direction", "desc"}},
                                 {{"field_name", "sg_cut_in"}, {"direction", "desc"}}});
  EXPECT_EQ(ids(results("read", params)), (std::vector<std::int64_t>{5, 2, 1, 3, 4}));

  params["sorts"] = Json::array({{{"field_name", "id"}, {"direction", "desc"}}});
  params["paging"] = {{"entities_per_page", 2}, {"current_page", 2}};
  Json r = results("read", params);
  EXPECT_EQ(ids(r), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(r["paging_info"], (Json{{"current_page", 2},
                                    {"page_count", 3},
                                    {"entity_count", 5},
                                    {"entities_per_page", 2},
                                    {"has_next_page", true}}));
  params["paging"] = {{"entities_per_page", 2}, {"current_page", 3}};
  params["return_paging_info_without_counts"] = true;
  r = results("read", params);
  EXPECT_EQ(ids(r), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(r["paging_info"],
            (Json{{"current_page", 3}, {"entities_per_page", 2}, {"has_next_page", false}}));
}

TEST_F(Api3Test, RetiredRowsOnlyWithReturnOnlyRetired) {
  ASSERT_TRUE(site_->retire("Shot", 2));
  Json params = readParams("Shot", all(Json::array()));
  EXPECT_EQ(ids(results("read", params)), (std::vector<std::int64_t>{1, 3, 4, 5}));
  params["return_only"] = "retired";
  EXPECT_EQ(ids(results("read", params)), (std::vector<std::int64_t>{2}));
}

TEST_F(Api3Test, CreateUpdateDeleteReviveReplyShapes) {
  const Json created = results("create", {{"type", "Shot"},
                                          {"fields",
                                           {{{"field_name", "code"}, {"value", "new"}},
                                            {{"field_name", "project"}, {"value", link("Project", project_)}},
                                            {{"field_name", "sg_due_date"}, {"value", "2024-01-02"}}}},
                                          {"return_fields", {"id", "sg_status_list"}}});
  EXPECT_EQ(created["type"], "Shot");
  EXPECT_EQ(created["id"], 6);
  EXPECT_EQ(created["code"], "new");
  EXPECT_EQ(created["project"]["name"], "Bunny");
  EXPECT_TRUE(created.contains("sg_status_list"));

  const Json updated = results(
      "update", {{"type", "Shot"}, {"id", 6}, {"fields", {{{"field_name", "code"}, {"value", "renamed"}}}}});
  EXPECT_EQ(updated, (Json{{"type", "Shot"}, {"id", 6}, {"code", "renamed"}}));
  EXPECT_EQ(results("delete", {{"type", "Shot"}, {"id", 6}}), true);
  EXPECT_EQ(results("delete", {{"type", "Shot"}, {"id", 6}}), false);
  EXPECT_EQ(results("revive", {{"type", "Shot"}, {"id", 6}}), true);
  EXPECT_EQ(results("revive", {{"type", "Shot"}, {"id", 6}}), false);
}

TEST_F(Api3Test, DateTimesAreAlwaysTheTwentyCharacterWireForm) {
  idOf(site_->create("Playlist", {{"code", "daily"}, {"sg_date_and_time", "2024-03-04 05:06:07 UTC"}}));
  const Json r =
      results("read", readParams("Playlist", all(Json::array()), {"sg_date_and_time", "created_at"}));
  EXPECT_EQ(r["entities"][0]["sg_date_and_time"], "2024-03-04T05:06:07Z");
  EXPECT_EQ(r["entities"][0]["created_at"].get<std::string>().size(), 20u);
}

TEST_F(Api3Test, UnknownFieldsAreAddedToTheSchemaWithAnInferredType) {
  idOf(site_->create("Shot",
                     {{"code", "x"}, {"sg_custom_count", 3}, {"sg_custom_when", "2024-01-02T03:04:05Z"}}));
  const Json count = results("schema_field_read", {{"type", "Shot"}, {"field_name", "sg_custom_count"}});
  EXPECT_EQ(count["sg_custom_count"]["data_type"]["value"], "number");
  const Json when = results("schema_field_read", {{"type", "Shot"}, {"field_name", "sg_custom_when"}});
  EXPECT_EQ(when["sg_custom_when"]["data_type"]["value"], "date_time");
  EXPECT_EQ(ids(results("read",
                        readParams("Shot", all(Json::array({cond("sg_custom_count", "greater_than", 2)}))))),
            (std::vector<std::int64_t>{6}));
}

TEST_F(Api3Test, SchemaCalls) {
  const Json schema = results("schema_read", nullptr);
  EXPECT_EQ(schema["EventLogEntry"]["meta"]["data_type"]["value"], "serializable");
  EXPECT_EQ(schema["Task"]["task_assignees"]["properties"]["valid_types"]["value"],
            Json::array({"HumanUser", "Group"}));
  for (const char* type : {"Project", "Sequence", "Shot", "Asset", "Task", "Step", "Version", "Note",
                           "HumanUser", "ApiUser", "Group", "Status", "TaskTemplate", "PublishedFile",
                           "Playlist", "CustomEntity01", "CustomEntity10", "EventLogEntry"}) {
    EXPECT_TRUE(schema.contains(type)) << type;
  }
  const Json entities = results("schema_entity_read", nullptr);
  EXPECT_EQ(entities["EventLogEntry"]["name"]["value"], "Event Log Entry");
  const Json fields = results("schema_field_read", {{"type", "Shot"}});
  EXPECT_EQ(fields["sg_cut_in"]["data_type"]["value"], "number");
}

TEST_F(Api3Test, SummarizeWithNestedExactGroups) {
  const Json r =
      results("summarize",
              {{"type", "Shot"},
               {"filters", all(Json::array())},
               {"summaries",
                {{{"field", "id"}, {"type", "record_count"}}, {{"field", "sg_cut_in"}, {"type", "sum"}}}},
               {"grouping",
                {{{"field", "sg_status_list"}, {"type", "exact"}, {"direction", "asc"}},
                 {{"field", "sg_cut_in"}, {"type", "exact"}, {"direction", "desc"}}}}});
  EXPECT_EQ(r["summaries"], (Json{{"id", 5}, {"sg_cut_in", 110}}));
  ASSERT_EQ(r["groups"].size(), 3u);
  EXPECT_EQ(r["groups"][0]["group_name"], "fin");
  EXPECT_EQ(r["groups"][1]["group_value"], "ip");
  EXPECT_EQ(r["groups"][1]["summaries"], (Json{{"id", 2}, {"sg_cut_in", 50}}));
  EXPECT_EQ(r["groups"][1]["groups"][0]["group_value"], 30);
  EXPECT_EQ(r["groups"][2]["summaries"]["id"], 2);

  for (const char* kind : {"count", "maximum", "minimum", "average"}) {
    const Json s = results("summarize", {{"type", "Shot"},
                                         {"filters", all(Json::array())},
                                         {"summaries", {{{"field", "sg_cut_in"}, {"type", kind}}}}});
    const Json expected = std::string(kind) == "count"     ? Json(5)
                          : std::string(kind) == "maximum" ? Json(40)
                          : std::string(kind) == "minimum" ? Json(10)
                                                           : Json(22.0);
    EXPECT_EQ(s["summaries"]["sg_cut_in"], expected) << kind;
  }
}

TEST_F(Api3Test, BadCredentialsAreError102AtHttp200) {
  const HttpReply reply = site_->handleApi3(
      R"({"method_name":"read","params":[{"script_name":"nope","script_key":"k"},{"type":"Shot"}]})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(
      Json::parse(reply.body),
      (Json{{"exception", true}, {"error_code", 102}, {"message", "Can't authenticate script 'nope'"}}));
  const HttpReply wrongKey = site_->handleApi3(
      R"({"method_name":"read","params":[{"script_name":"sgeventd","script_key":"bad"},{"type":"Shot"}]})");
  EXPECT_EQ(Json::parse(wrongKey.body)["error_code"], 102);
  const HttpReply none = site_->handleApi3(R"({"method_name":"read","params":[]})");
  EXPECT_EQ(Json::parse(none.body)["error_code"], 102);
}

TEST(Api3DemoTest, AcceptAnyScriptGivesEachNewScriptItsOwnApiUser) {
  SiteOptions options;
  options.acceptAnyScript = true;
  auto site = openSite(options);
  const Json create{{"method_name", "create"},
                    {"params",
                     {{{"script_name", "plugin"}, {"script_key", "whatever"}},
                      {{"type", "Shot"}, {"fields", {{{"field_name", "code"}, {"value", "a"}}}}}}}};
  ASSERT_TRUE(Json::parse(site->handleApi3(create.dump()).body).contains("results"));
  auto events = site->read(eventQuery(0));
  ASSERT_TRUE(events);
  EXPECT_EQ((*events)["entities"][0]["user"]["name"], "plugin");
  EXPECT_NE((*events)["entities"][0]["user"]["id"], site->scriptActor().user["id"]);
}

TEST_F(Api3Test, BadParametersAre103AndRefusedWritesAre104) {
  auto code = [&](const std::string& method, const Json& params) {
    return site_->call(method, params).value("error_code", 0);
  };
  EXPECT_EQ(code("read", {{"type", "Shot"}, {"paging", {{"entities_per_page", "x"}}}}), 103);
  EXPECT_EQ(code("read", {{"type", "NoSuchType"}}), 103);
  EXPECT_EQ(code("read", {{"type", "Shot"}, {"filters", all(Json::array({cond("bogus", "is", 1)}))}}), 103);
  EXPECT_EQ(code("frobnicate", Json::object()), 103);
  EXPECT_EQ(code("create", {{"type", "Shot"}, {"fields", {{{"field_name", "sg_cut_in"}, {"value", "x"}}}}}),
            103);
  EXPECT_EQ(code("update", {{"type", "Shot"}, {"id", 999}, {"fields", Json::array()}}), 104);
  EXPECT_EQ(code("delete", {{"type", "Shot"}, {"id", 999}}), 104);
  EXPECT_EQ(code("revive", {{"type", "Shot"}, {"id", 999}}), 104);
  EXPECT_EQ(code("create", {{"type", "Shot"},
                            {"fields", {{{"field_name", "project"}, {"value", link("Project", 99)}}}}}),
            104);
  EXPECT_EQ(code("update", {{"type", "EventLogEntry"}, {"id", 1}, {"fields", Json::array()}}), 104);
  const HttpReply garbage = site_->handleApi3("{not json");
  EXPECT_EQ(garbage.status, 200);
  EXPECT_EQ(Json::parse(garbage.body)["error_code"], 103);
}

TEST_F(Api3Test, SudoAsLoginWritesAsThatUser) {
  const auto alice = idOf(site_->create("HumanUser", {{"name", "Alice"}, {"login", "alice"}}));
  const Json envelope{
      {"method_name", "update"},
      {"params",
       {{{"script_name", "sgeventd"},
         {"script_key", "sim-key"},
         {"sudo_as_login", "alice"},
         {"session_uuid", "abc-123"}},
        {{"type", "Shot"}, {"id", 1}, {"fields", {{{"field_name", "code"}, {"value", "z"}}}}}}}};
  ASSERT_TRUE(Json::parse(site_->handleApi3(envelope.dump()).body).contains("results"));
  auto events = site_->read(eventQuery(site_->lastEventId() - 1));
  ASSERT_TRUE(events);
  const Json& e = (*events)["entities"].back();
  EXPECT_EQ(e["user"], (Json{{"type", "HumanUser"}, {"id", alice}, {"name", "Alice"}}));
  EXPECT_EQ(e["session_uuid"], "abc-123");
}

}  // namespace
}  // namespace sgeventd::sim
