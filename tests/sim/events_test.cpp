// Event log generation per write kind, batch atomicity, late commits, synthetic appends and the fast path.
#include "sim_test_util.h"

namespace sgeventd::sim {
namespace {

using namespace testing;

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<ManualClock>(fixedNow());
    SiteOptions options;
    options.clock = clock_;
    site_ = openSite(options);
    project_ = idOf(site_->create("Project", {{"name", "Bunny"}}));
  }

  // Events after `after`, through the wire (fast path).
  Json eventsAfter(std::int64_t after, int perPage = 500) {
    const Json reply = site_->call("read", eventQuery(after, perPage));
    EXPECT_TRUE(reply.contains("results")) << reply.dump();
    return reply["results"]["entities"];
  }

  std::shared_ptr<ManualClock> clock_;
  std::unique_ptr<Site> site_;
  std::int64_t project_ = 0;
};

TEST_F(EventsTest, CreateLogsNewThenOneInCreateChangePerField) {
  const auto before = site_->lastEventId();
  const auto user = idOf(site_->create("HumanUser", {{"name", "Alice"}, {"login", "alice"}}));
  const auto mark = site_->lastEventId();
  const auto task = idOf(site_->create("Task", {{"content", "Anim"},
                                                {"project", link("Project", project_)},
                                                {"task_assignees", {link("HumanUser", user)}}}));
  const Json events = eventsAfter(mark);
  ASSERT_EQ(events.size(), 4u);
  const Json apiUser{{"type", "ApiUser"}, {"id", site_->scriptActor().user["id"]}, {"name", "sgeventd"}};
  const Json taskLink{{"type", "Task"}, {"id", task}, {"name", "Anim"}};
  const Json projectLink{{"type", "Project"}, {"id", project_}, {"name", "Bunny"}};
  EXPECT_EQ(events[0]["event_type"], "Shotgun_Task_New");
  EXPECT_EQ(events[0]["attribute_name"], nullptr);
  EXPECT_EQ(events[0]["meta"], (Json{{"type", "new_entity"}, {"entity_type", "Task"}, {"entity_id", task}}));
  EXPECT_EQ(events[0]["entity"], taskLink);
  EXPECT_EQ(events[0]["user"], apiUser);
  EXPECT_EQ(events[0]["project"], projectLink);
  EXPECT_EQ(events[0]["session_uuid"], nullptr);
  EXPECT_EQ(events[0]["created_at"], "2024-01-12T12:00:00Z");
  EXPECT_EQ(events[0]["type"], "EventLogEntry");
  EXPECT_GT(events[0]["id"].get<std::int64_t>(), before);

  std::map<std::string, Json> changes;
  for (std::size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["event_type"], "Shotgun_Task_Change");
    EXPECT_EQ(events[i]["meta"]["in_create"], true);
    EXPECT_EQ(events[i]["meta"]["type"], "attribute_change");
    EXPECT_EQ(events[i]["meta"]["entity_id"], task);
    EXPECT_EQ(events[i]["meta"]["attribute_name"], events[i]["attribute_name"]);
    changes[events[i]["attribute_name"].get<std::string>()] = events[i]["meta"];
  }
  EXPECT_EQ(changes["content"]["old_value"], nullptr);
  EXPECT_EQ(changes["content"]["new_value"], "Anim");
  EXPECT_EQ(changes["content"]["field_data_type"], "text");
  EXPECT_EQ(changes["project"]["new_value"], projectLink);
  EXPECT_EQ(changes["task_assignees"]["field_data_type"], "multi_entity");
  EXPECT_FALSE(changes["task_assignees"].contains("new_value"));
  EXPECT_EQ(changes["task_assignees"]["added"],
            Json::array({{{"type", "HumanUser"}, {"id", user}, {"name", "Alice"}, {"valid", "valid"}}}));
  EXPECT_EQ(changes["task_assignees"]["removed"], Json::array());
}

TEST_F(EventsTest, UpdateLogsOneChangePerChangedField) {
  const auto shot = idOf(site_->create("Shot", {{"code", "sh010"},
                                                {"sg_status_list", "wtg"},
                                                {"sg_cut_in", 1},
                                                {"project", link("Project", project_)}}));
  const auto mark = site_->lastEventId();
  ASSERT_TRUE(
      site_->update("Shot", shot, {{"sg_status_list", "ip"}, {"sg_cut_in", 1}, {"description", "d"}}));
  const Json events = eventsAfter(mark);
  ASSERT_EQ(events.size(), 2u);  // sg_cut_in did not change
  EXPECT_EQ(events[0]["event_type"], "Shotgun_Shot_Change");
  EXPECT_EQ(events[0]["attribute_name"], "description");
  EXPECT_EQ(events[1]["meta"], (Json{{"type", "attribute_change"},
                                     {"attribute_name", "sg_status_list"},
                                     {"entity_type", "Shot"},
                                     {"entity_id", shot},
                                     {"field_data_type", "status_list"},
                                     {"old_value", "wtg"},
                                     {"new_value", "ip"}}));
  EXPECT_FALSE(events[1]["meta"].contains("in_create"));
}

TEST_F(EventsTest, MultiEntityUpdateModesLogAddedAndRemoved) {
  std::vector<std::int64_t> users;
  for (const char* n : {"A", "B", "C"}) {
    users.push_back(idOf(site_->create("HumanUser", {{"name", n}, {"login", n}})));
  }
  const auto task =
      idOf(site_->create("Task", {{"content", "t"}, {"task_assignees", {link("HumanUser", users[0])}}}));
  auto assignees = [&] {
    auto r = site_->read(readParams("Task", all(Json::array({cond("id", "is", task)})), {"task_assignees"}));
    std::vector<std::int64_t> out;
    for (const auto& l : (*r)["entities"][0]["task_assignees"]) {
      out.push_back(l["id"].get<std::int64_t>());
    }
    return out;
  };
  auto mark = site_->lastEventId();
  ASSERT_TRUE(site_->update("Task", task, {{"task_assignees", {link("HumanUser", users[1])}}},
                            {{"task_assignees", "add"}}));
  EXPECT_EQ(assignees(), (std::vector<std::int64_t>{users[0], users[1]}));
  Json events = eventsAfter(mark);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["meta"]["added"].size(), 1u);
  EXPECT_EQ(events[0]["meta"]["added"][0]["id"], users[1]);
  EXPECT_EQ(events[0]["meta"]["removed"], Json::array());

  mark = site_->lastEventId();
  ASSERT_TRUE(site_->update("Task", task, {{"task_assignees", {link("HumanUser", users[0])}}},
                            {{"task_assignees", "remove"}}));
  EXPECT_EQ(assignees(), (std::vector<std::int64_t>{users[1]}));
  events = eventsAfter(mark);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["meta"]["removed"][0]["id"], users[0]);
  EXPECT_EQ(events[0]["meta"]["added"], Json::array());

  mark = site_->lastEventId();
  ASSERT_TRUE(site_->update("Task", task, {{"task_assignees", {link("HumanUser", users[2])}}}));  // set
  EXPECT_EQ(assignees(), (std::vector<std::int64_t>{users[2]}));
  events = eventsAfter(mark);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["meta"]["added"][0]["id"], users[2]);
  EXPECT_EQ(events[0]["meta"]["removed"][0]["id"], users[1]);
}

TEST_F(EventsTest, RetirementAndRevivalAndNullEntityWhileRetired) {
  const auto shot = idOf(site_->create("Shot", {{"code", "sh010"}, {"project", link("Project", project_)}}));
  const auto created = site_->lastEventId();
  ASSERT_EQ(*site_->retire("Shot", shot), true);
  Json events = eventsAfter(created - 2);
  ASSERT_EQ(events.size(), 3u);  // _New, code change, project change... then retirement below
  events = eventsAfter(created);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event_type"], "Shotgun_Shot_Retirement");
  EXPECT_EQ(events[0]["meta"],
            (Json{{"type", "entity_retirement"}, {"entity_type", "Shot"}, {"entity_id", shot}}));
  EXPECT_EQ(events[0]["entity"], nullptr);
  // Older events of a retired entity read with a null entity too, as on a real site.
  EXPECT_EQ(eventsAfter(created - 3)[0]["entity"], nullptr);
  EXPECT_EQ(eventsAfter(created - 3)[0]["event_type"], "Shotgun_Shot_New");

  const auto retired = site_->lastEventId();
  ASSERT_EQ(*site_->revive("Shot", shot), true);
  events = eventsAfter(retired);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event_type"], "Shotgun_Shot_Revival");
  EXPECT_EQ(events[0]["meta"]["type"], "entity_revival");
  EXPECT_EQ(events[0]["entity"]["name"], "sh010");
}

TEST_F(EventsTest, BatchIsAllOrNothing) {
  const auto shot = idOf(site_->create("Shot", {{"code", "a"}}));
  const auto eventsBefore = site_->eventCount();
  const Json failing = Json::array(
      {{{"request_type", "create"}, {"type", "Shot"}, {"fields", {{{"field_name", "code"}, {"value", "b"}}}}},
       {{"request_type", "update"},
        {"type", "Shot"},
        {"id", shot},
        {"fields", {{{"field_name", "code"}, {"value", "c"}}}}},
       {{"request_type", "delete"}, {"type", "Shot"}, {"id", 999}}});
  const Json reply = site_->call("batch", failing);
  EXPECT_EQ(reply["error_code"], 104);
  EXPECT_EQ(site_->eventCount(), eventsBefore);
  auto shots = site_->read(readParams("Shot", all(Json::array()), {"code"}));
  ASSERT_EQ((*shots)["entities"].size(), 1u);
  EXPECT_EQ((*shots)["entities"][0]["code"], "a");

  Json ok = failing;
  ok[2]["id"] = shot;
  const Json done = site_->call("batch", ok);
  ASSERT_TRUE(done.contains("results")) << done.dump();
  ASSERT_EQ(done["results"].size(), 3u);
  EXPECT_EQ(done["results"][0]["code"], "b");
  EXPECT_EQ(done["results"][1]["code"], "c");
  EXPECT_EQ(done["results"][2], true);
  EXPECT_EQ(site_->eventCount(), eventsBefore + 2 + 1 + 1);
}

TEST_F(EventsTest, LateCommitsHideIdsUntilReleasedOrATimeOrForever) {
  const IdRange first = site_->appendSyntheticEvents(5);
  const IdRange late = site_->hideNext(3);  // the next 3 ids commit late
  EXPECT_EQ(late.first, first.last + 1);
  const IdRange rest = site_->appendSyntheticEvents(5);
  EXPECT_EQ(rest.first, late.first);  // the hidden ids are written, just invisible
  site_->hideIds({rest.last}, HideSpec::never());
  site_->hideIds({first.first}, HideSpec::untilTime(fixedNow() + std::chrono::seconds(30)));

  auto visibleIds = [&] {
    std::vector<std::int64_t> out;
    for (const auto& e : eventsAfter(first.first - 1)) {
      out.push_back(e["id"].get<std::int64_t>());
    }
    return out;
  };
  std::vector<std::int64_t> expected;
  for (auto id = first.first + 1; id <= rest.last - 1; ++id) {
    if (id < late.first || id > late.last) {
      expected.push_back(id);
    }
  }
  EXPECT_EQ(visibleIds(), expected);
  const Json reply = site_->call("read", eventQuery(first.first - 1));
  EXPECT_EQ(reply["results"]["paging_info"]["entity_count"], static_cast<std::int64_t>(expected.size()));

  site_->release(late.ids());
  site_->release({rest.last});  // "never" stays hidden
  clock_->advance(std::chrono::seconds(31));
  expected.clear();
  for (auto id = first.first; id <= rest.last - 1; ++id) {
    expected.push_back(id);
  }
  EXPECT_EQ(visibleIds(), expected);
  EXPECT_EQ(site_->hiddenIds(), (std::vector<std::int64_t>{rest.last}));
  EXPECT_FALSE(site_->isVisible(rest.last));
  site_->releaseAll();
  EXPECT_FALSE(site_->isVisible(rest.last));
}

TEST_F(EventsTest, HiddenIdsAreInvisibleToTheGenericPathAndIdInReadsToo) {
  const IdRange r = site_->appendSyntheticEvents(10);
  site_->hideIds({r.first + 2, r.first + 4});
  Json params = eventQuery(0);
  params["filters"] =
      all(Json::array({cond("id", "in", Json::array({r.first + 1, r.first + 2, r.first + 4, r.first + 5}))}));
  Json reply = site_->call("read", params);
  EXPECT_EQ(ids(reply["results"]), (std::vector<std::int64_t>{r.first + 1, r.first + 5}));
  // Generic engine (a filter the fast path does not take) hides the same rows.
  params["filters"] = all(Json::array({cond("id", "in", Json::array({r.first + 1, r.first + 2})),
                                       cond("event_type", "starts_with", "Shotgun_")}));
  reply = site_->call("read", params);
  EXPECT_EQ(ids(reply["results"]), (std::vector<std::int64_t>{r.first + 1}));
}

TEST_F(EventsTest, FastPathMatchesTheGenericEngine) {
  const auto shot = idOf(site_->create("Shot", {{"code", "sh"}, {"project", link("Project", project_)}}));
  ASSERT_TRUE(site_->update("Shot", shot, {{"description", "quote \" and \\ and \n"}}));
  SyntheticOptions options;
  options.sessionUuid = "5a1d49b0-0c69-11e0-a24c-003048d17544";
  site_->appendSyntheticEvents(700, options);
  site_->hideIds({10, 20, 30});
  for (int page = 1; page <= 3; ++page) {
    Json params = eventQuery(3, 250);
    params["paging"]["current_page"] = page;
    const Json fast = site_->call("read", params)["results"];
    auto generic = site_->read(params);
    ASSERT_TRUE(generic);
    EXPECT_EQ(fast, *generic) << "page " << page;
  }
  Json desc = eventQuery(100, 50);
  desc["sorts"][0]["direction"] = "desc";
  desc["return_paging_info_without_counts"] = true;
  EXPECT_EQ(site_->call("read", desc)["results"], *site_->read(desc));
}

TEST_F(EventsTest, OldSyntheticEventsCarryTheGivenCreatedAt) {
  SyntheticOptions options;
  options.createdAt = fixedNow() - std::chrono::hours(24);
  const IdRange r = site_->appendSyntheticEvents(3, options);
  const Json events = eventsAfter(r.first - 1);
  ASSERT_EQ(events.size(), 3u);
  for (const auto& e : events) {
    EXPECT_EQ(e["created_at"], "2024-01-11T12:00:00Z");
    EXPECT_TRUE(e["event_type"].get<std::string>().rfind("Shotgun_", 0) == 0);
    EXPECT_EQ(e["project"]["id"], project_);
  }
}

TEST_F(EventsTest, CountersCountCallsAndRowsPerMethod) {
  site_->appendSyntheticEvents(1200);
  site_->resetCounters();
  site_->call("read", eventQuery(0));
  site_->call("read", eventQuery(1000));
  Json gaps = eventQuery(0);
  gaps["filters"] = all(Json::array({cond("id", "in", Json::array({5, 6, 7}))}));
  site_->call("read", gaps);
  site_->call("info");
  const Counters c = site_->counters();
  EXPECT_EQ(c.callsOf("read"), 3);
  EXPECT_EQ(c.rowsOf("read"),
            500 + (site_->lastEventId() - 1000 > 500 ? 500 : site_->lastEventId() - 1000) + 3);
  EXPECT_EQ(c.callsOf("info"), 1);
  site_->resetCounters();
  EXPECT_EQ(site_->counters().callsOf("read"), 0);
}

TEST_F(EventsTest, MillionEventAppendIsDenseAndPagesReadRight) {
  const auto start = site_->nextEventId();
  const IdRange r = site_->appendSyntheticEvents(1'000'000);
  EXPECT_EQ(r.first, start);
  EXPECT_EQ(r.size(), 1'000'000);
  EXPECT_EQ(site_->lastEventId(), r.last);
  for (const std::int64_t after : {r.first - 1, r.first + 499'999, r.last - 300}) {
    const Json reply = site_->call("read", eventQuery(after));
    const Json& entities = reply["results"]["entities"];
    const auto expected = std::min<std::int64_t>(500, r.last - after);
    ASSERT_EQ(static_cast<std::int64_t>(entities.size()), expected);
    for (std::int64_t i = 0; i < expected; ++i) {
      ASSERT_EQ(entities[i]["id"], after + 1 + i);
    }
    EXPECT_EQ(reply["results"]["paging_info"]["entity_count"], r.last - after);
  }
}

}  // namespace
}  // namespace sgeventd::sim
