// The client against the simulated site: every api3 method round-trips.
#include "sim_fixture.h"

namespace sgeventd::integration {
namespace {

using shotgrid::Json;

class ClientSim : public SimSite {
 protected:
  void SetUp() override {
    SimSite::SetUp();
    if (!HasFatalFailure()) {
      client = std::make_unique<shotgrid::Client>(clientOptions());
    }
  }
  Json project() {
    auto p = client->create("Project", Json{{"name", "Bunny"}});
    EXPECT_TRUE(p.has_value()) << p.error().describe();
    return p ? Json{{"type", "Project"}, {"id", (*p)["id"]}} : Json();
  }
  std::unique_ptr<shotgrid::Client> client;
};

TEST_F(ClientSim, InfoReportsAVersion) {
  auto info = client->info();
  ASSERT_TRUE(info.has_value()) << info.error().describe();
  EXPECT_TRUE((*info)["version"].is_array());
}

TEST_F(ClientSim, CrudRoundTrip) {
  const Json proj = project();
  auto shot = client->create("Shot", Json{{"code", "sh010"}, {"project", proj}}, {"code", "project"});
  ASSERT_TRUE(shot.has_value()) << shot.error().describe();
  const std::int64_t id = (*shot)["id"];
  EXPECT_EQ((*shot)["code"], "sh010");

  auto updated = client->update("Shot", id, Json{{"code", "sh020"}});
  ASSERT_TRUE(updated.has_value()) << updated.error().describe();
  auto found = client->findOne("Shot", Json::array({{"id", "is", id}}), {"code"});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ((*found)["code"], "sh020");

  auto removed = client->remove("Shot", id);
  ASSERT_TRUE(removed.has_value()) << removed.error().describe();
  EXPECT_TRUE(*removed);
  auto gone = client->findOne("Shot", Json::array({{"id", "is", id}}), {"code"});
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(gone->is_null());

  shotgrid::FindOptions retired;
  retired.retiredOnly = true;
  auto trash = client->find("Shot", Json::array({{"id", "is", id}}), {"code"}, retired);
  ASSERT_TRUE(trash.has_value()) << trash.error().describe();
  ASSERT_EQ(trash->size(), 1u);

  auto revived = client->revive("Shot", id);
  ASSERT_TRUE(revived.has_value()) << revived.error().describe();
  EXPECT_TRUE(*revived);
  EXPECT_FALSE(client->findOne("Shot", Json::array({{"id", "is", id}}), {})->is_null());

  // Each write logged events the daemon would see.
  auto events = client->findEvents(Json::array({{"entity", "is", {{"type", "Shot"}, {"id", id}}}}), 100);
  ASSERT_TRUE(events.has_value()) << events.error().describe();
  EXPECT_FALSE(events->empty());
}

TEST_F(ClientSim, DeepFiltersAndNestedOperators) {
  const Json proj = project();
  auto seq = client->create("Sequence", Json{{"code", "SEQ_A"}, {"project", proj}});
  ASSERT_TRUE(seq.has_value()) << seq.error().describe();
  const Json seqRef{{"type", "Sequence"}, {"id", (*seq)["id"]}};
  for (const char* code : {"a010", "a020", "b010"}) {
    ASSERT_TRUE(
        client->create("Shot", Json{{"code", code}, {"project", proj}, {"sg_sequence", seqRef}}).has_value());
  }
  auto deep = client->find("Shot", Json::array({{"sg_sequence.Sequence.code", "is", "SEQ_A"}}),
                           {"code", "sg_sequence.Sequence.code"});
  ASSERT_TRUE(deep.has_value()) << deep.error().describe();
  EXPECT_EQ(deep->size(), 3u);
  const Json nested = Json::parse(R"([
      {"filter_operator":"any","filters":[["code","starts_with","a"],["code","is","zzz"]]},
      ["code","is_not","a020"]])");
  auto some = client->find("Shot", nested, {"code"});
  ASSERT_TRUE(some.has_value()) << some.error().describe();
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0]["code"], "a010");
}

TEST_F(ClientSim, PagingReadsMoreThanOnePage) {
  auto options = clientOptions();
  options.entitiesPerPage = 7;
  shotgrid::Client paged(options);
  const auto range = site->appendSyntheticEvents(30);
  auto all = paged.find("EventLogEntry", Json::array({{"id", "between", range.first, range.last}}), {"id"},
                        shotgrid::FindOptions{Json::parse(R"([{"field_name":"id"}])")});
  ASSERT_TRUE(all.has_value()) << all.error().describe();
  ASSERT_EQ(all->size(), 30u);
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i]["id"], range.first + static_cast<std::int64_t>(i));
  }
  EXPECT_GE(site->counters().callsOf("read"), 5);
}

TEST_F(ClientSim, FindEventsDecodesSyntheticEvents) {
  const auto range = site->appendSyntheticEvents(50);
  auto events = client->findEvents(Json::array({{"id", "greater_than", range.first - 1}}), 20);
  ASSERT_TRUE(events.has_value()) << events.error().describe();
  ASSERT_EQ(events->size(), 20u);
  EXPECT_EQ(events->front().id, range.first);
  for (const auto& e : *events) {
    EXPECT_FALSE(e.eventType.empty());
    EXPECT_TRUE(e.createdAt.has_value());
  }
}

TEST_F(ClientSim, BatchAndSummarize) {
  const Json proj = project();
  auto batch = client->batch(Json::array({
      {{"request_type", "create"}, {"entity_type", "Shot"}, {"data", {{"code", "x1"}, {"project", proj}}}},
      {{"request_type", "create"}, {"entity_type", "Shot"}, {"data", {{"code", "x2"}, {"project", proj}}}},
  }));
  ASSERT_TRUE(batch.has_value()) << batch.error().describe();
  ASSERT_EQ(batch->size(), 2u);
  const std::int64_t second = (*batch)[1]["id"];
  auto del = client->batch(
      Json::array({{{"request_type", "delete"}, {"entity_type", "Shot"}, {"entity_id", second}}}));
  ASSERT_TRUE(del.has_value()) << del.error().describe();
  EXPECT_EQ((*del)[0], true);

  auto summary = client->summarize("Shot", Json::array({{"project", "is", proj}}),
                                   Json::parse(R"([{"field":"id","type":"count"}])"));
  ASSERT_TRUE(summary.has_value()) << summary.error().describe();
  EXPECT_EQ((*summary)["summaries"]["id"], 1);
}

TEST_F(ClientSim, WrongKeyIsAnAuthenticationError) {
  auto options = clientOptions();
  options.auth.scriptKey = "wrong-key-123";
  shotgrid::Client bad(options);
  auto r = bad.find("Shot", Json::array(), {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, shotgrid::ErrorKind::Authentication);
  EXPECT_EQ(r.error().describe().find("wrong-key-123"), std::string::npos);
}

}  // namespace
}  // namespace sgeventd::integration
