#include <gtest/gtest.h>

#include "shotgrid/client.h"
#include "shotgrid/datetime.h"
#include "shotgrid/event_codec.h"
#include "stub_server.h"

namespace sgeventd::shotgrid {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

TEST(DateTime, Api3FormRoundTrips) {
  const auto t = parseDateTime("2018-11-28T15:43:07Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, sys_days{std::chrono::year{2018} / 11 / 28} + 15h + 43min + 7s);
  EXPECT_EQ(formatDateTime(*t), "2018-11-28T15:43:07Z");
  EXPECT_EQ(formatDate(*t), "2018-11-28");
  EXPECT_TRUE(isApi3DateTime("2018-11-28T15:43:07Z"));
}

TEST(DateTime, RestAndWebhookForms) {
  EXPECT_EQ(parseDateTime("2018-11-28 15:43:07 UTC"), parseDateTime("2018-11-28T15:43:07Z"));
  const auto micro = parseDateTime("2018-11-28 15:43:07.250000");
  ASSERT_TRUE(micro.has_value());
  EXPECT_EQ(*micro - *parseDateTime("2018-11-28T15:43:07Z"), 250ms);
}

TEST(DateTime, RejectsOtherText) {
  for (const char* bad : {"", "2018-11-28", "2018-13-28T15:43:07Z", "2018-11-28T15:43:07+02:00", "yesterday",
                          "2018-02-30T00:00:00Z", "2018-11-28T15:43:07.Z"}) {
    EXPECT_FALSE(parseDateTime(bad).has_value()) << bad;
  }
  EXPECT_FALSE(isApi3DateTime("2018-11-28 15:43:07Z"));
  EXPECT_FALSE(isApi3DateTime("2018-11-28T15:43:07.1Z"));
}

// Regression: these overflowed the nanosecond TimePoint (undefined behaviour, found by fuzzing) and came
// back as some other date.
TEST(DateTime, DatesOutsideTheTimePointRangeAreRejectedWithAMessage) {
  for (const char* far : {"2262-04-12T00:00:00Z", "2300-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                          "1677-09-21T00:00:00Z", "1500-01-01 00:00:00 UTC", "0000-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parseDateTime(far).has_value()) << far;
    const auto read = readDateTime(far);
    ASSERT_FALSE(read.has_value()) << far;
    EXPECT_NE(read.error().message.find("outside the dates this daemon can hold"), std::string::npos)
        << read.error().message;
    EXPECT_TRUE(parseWireDateTime(far).has_value()) << far;  // well-formed: only its range is refused
  }
  EXPECT_NE(readDateTime("soon").error().message.find("is not a date-time"), std::string::npos);
}

TEST(DateTime, WireTimeHoldsEveryFourDigitYear) {
  using std::chrono::year;
  EXPECT_EQ(*parseWireDateTime("9999-12-31T23:59:59Z"),
            WireTime{sys_days{year{9999} / 12 / 31}} + 23h + 59min + 59s);
  EXPECT_EQ(*parseWireDateTime("0000-01-01 00:00:00.000001"), WireTime{sys_days{year{0} / 1 / 1}} + 1us);
  EXPECT_EQ(*parseWireDateTime("1500-01-01T00:00:00Z"), WireTime{sys_days{year{1500} / 1 / 1}});
}

TEST(DateTime, TheEdgesOfTheAcceptedRangeRoundTrip) {
  for (const char* edge : {"1678-01-01T00:00:00Z", "2261-12-31T23:59:59Z", "2200-06-15T12:00:00Z"}) {
    const auto t = parseDateTime(edge);
    ASSERT_TRUE(t.has_value()) << edge;
    EXPECT_EQ(formatDateTime(*t), edge);
  }
  // The headroom is there: a timeout or a lag added to the latest date does not overflow.
  const auto latest = *parseDateTime("2261-12-31T23:59:59.999999");
  EXPECT_GT(latest + std::chrono::hours(24 * 90), latest);
}

TEST(EventFromJson, AFarFutureCreatedAtKeepsTheEventWithoutACreationTime) {
  for (const char* far : {"2300-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"}) {
    const Json record{{"id", 77}, {"event_type", "Shotgun_Shot_Change"}, {"created_at", far}};
    const auto e = eventFromJson(record);
    ASSERT_TRUE(e.has_value()) << e.error().message;
    EXPECT_EQ(e->id, 77);
    EXPECT_EQ(e->eventType, "Shotgun_Shot_Change");
    EXPECT_FALSE(e->createdAt.has_value()) << far;
    EXPECT_NE(e->json.find(far), std::string::npos);  // the record's own text still says it
  }
}

TEST(EventFromJson, FullRecord) {
  const Json record = Json::parse(R"({"attribute_name": "sg_status_list",
    "created_at": "2018-11-28T15:43:07Z",
    "entity": {"id": 11793, "name": "Art", "type": "Task"},
    "event_type": "Shotgun_Task_Change", "id": 4044184,
    "meta": {"attribute_name": "sg_status_list", "entity_id": 11793, "entity_type": "Task",
             "field_data_type": "status_list", "new_value": "wtg", "old_value": "fin", "type": "attribute_change"},
    "project": {"id": 1, "name": "Bunny", "type": "Project"},
    "session_uuid": "e8b61250-f31b-11e8-bb75-0242ac110004", "type": "EventLogEntry",
    "user": {"id": 42, "name": "Ford Escort", "type": "HumanUser"}})");
  auto e = eventFromJson(record);
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->id, 4044184);
  EXPECT_EQ(e->eventType, "Shotgun_Task_Change");
  EXPECT_EQ(e->attributeName, "sg_status_list");
  ASSERT_TRUE(e->entity.has_value());
  EXPECT_EQ(e->entity->type, "Task");
  EXPECT_EQ(e->entity->id, 11793);
  EXPECT_EQ(e->entity->name, "Art");
  EXPECT_EQ(e->user->type, "HumanUser");
  EXPECT_EQ(e->user->id, 42);
  EXPECT_EQ(e->project->name, "Bunny");
  EXPECT_EQ(e->sessionUuid, "e8b61250-f31b-11e8-bb75-0242ac110004");
  EXPECT_EQ(e->createdAt, parseDateTime("2018-11-28T15:43:07Z"));
  EXPECT_EQ(Json::parse(e->metaJson), record["meta"]);
  EXPECT_EQ(e->metaJson.find(' '), std::string::npos);  // compact
  EXPECT_EQ(Json::parse(e->json), record);
  EXPECT_EQ(e->json.find(": "), std::string::npos);
}

TEST(EventFromJson, NullsAndMissingFields) {
  auto e = eventFromJson(Json::parse(R"({"id": 7, "event_type": "Shotgun_Shot_New", "attribute_name": null,
      "entity": null, "user": null, "meta": null, "session_uuid": null, "created_at": null})"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->id, 7);
  EXPECT_FALSE(e->attributeName.has_value());
  EXPECT_FALSE(e->entity.has_value());
  EXPECT_FALSE(e->user.has_value());
  EXPECT_FALSE(e->project.has_value());
  EXPECT_FALSE(e->sessionUuid.has_value());
  EXPECT_FALSE(e->createdAt.has_value());
  EXPECT_EQ(e->metaJson, "null");

  auto bare = eventFromJson(Json::parse(R"({"id": 8})"));
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->eventType, "");
  EXPECT_EQ(bare->metaJson, "null");
  EXPECT_EQ(bare->json, R"({"id":8})");
}

TEST(EventFromJson, MultiEntityMetaIsKeptWhole) {
  const Json record =
      Json::parse(R"({"id": 9, "event_type": "Shotgun_Task_Change", "attribute_name": "task_assignees",
    "meta": {"entity_id": 28786, "attribute_name": "task_assignees", "entity_type": "Task",
             "field_data_type": "multi_entity", "type": "attribute_change",
             "added": [{"status": "act", "valid": "valid", "type": "HumanUser", "id": 1}], "removed": []}})");
  auto e = eventFromJson(record);
  ASSERT_TRUE(e.has_value());
  const Json meta = Json::parse(e->metaJson);
  EXPECT_EQ(meta["added"][0]["id"], 1);
  EXPECT_EQ(meta["removed"], Json::array());
}

TEST(EventFromJson, OddValuesDoNotFail) {
  auto e = eventFromJson(Json::parse(R"({"id": 10, "event_type": 5, "entity": {"type": "Shot"},
      "user": {"type": "HumanUser", "id": "x"}, "project": [1], "created_at": "not a date", "session_uuid": 3})"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->eventType, "");
  EXPECT_FALSE(e->entity.has_value());
  EXPECT_FALSE(e->user.has_value());
  EXPECT_FALSE(e->project.has_value());
  EXPECT_FALSE(e->createdAt.has_value());
  EXPECT_FALSE(e->sessionUuid.has_value());
}

TEST(EventFromJson, RecordWithoutIntegerIdIsAnError) {
  for (const char* bad :
       {R"({"event_type": "x"})", R"({"id": "5"})", R"({"id": 5.5})", R"({"id": null})", "[1]", "null"}) {
    EXPECT_FALSE(eventFromJson(Json::parse(bad)).has_value()) << bad;
  }
}

TEST(EventFromRecord, OrderedRecordKeepsTheKeyOrderOfTheReply) {
  const std::string text =
      R"({"type":"EventLogEntry","id":12,"event_type":"Shotgun_Task_Change","attribute_name":"content",)"
      R"("meta":{"type":"attribute_change","old_value":"a","new_value":"b"},)"
      R"("entity":{"type":"Task","id":7,"name":"Anim"},"user":null,"project":null,"session_uuid":null,)"
      R"("created_at":"2024-01-02T03:04:05Z"})";
  auto e = eventFromRecord(nlohmann::ordered_json::parse(text));
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->json, text);  // byte for byte: nothing re-sorted, nested objects included
  EXPECT_EQ(e->metaJson, R"({"type":"attribute_change","old_value":"a","new_value":"b"})");
  EXPECT_EQ(e->entity->name, "Anim");
  EXPECT_EQ(e->attributeName, "content");
  EXPECT_EQ(e->createdAt, parseDateTime("2024-01-02T03:04:05Z"));
}

TEST(EventFromRecord, FindEventsKeepsTheSitesKeyOrder) {
  testing::StubServer server;
  // Not the sorted order, nor eventFields()' order: whatever the site sends is what plugins get.
  const std::string record =
      R"({"type":"EventLogEntry","id":101,"created_at":"2024-01-02T03:04:05Z","event_type":"Shotgun_Shot_New",)"
      R"("entity":{"type":"Shot","id":3,"name":"s"},"attribute_name":null,"meta":{"type":"new_entity"},)"
      R"("user":{"type":"ApiUser","id":1,"name":"daemon"},"project":null,"session_uuid":"u"})";
  server.push(testing::StubReply{200, R"({"results":{"entities":[)" + record + R"(],"paging_info":{}}})"});
  ClientOptions options;
  options.server = server.url();
  options.auth = {"daemon", "key", std::nullopt, std::nullopt};
  options.retry.maxAttempts = 1;
  Client client(options);
  auto events = client.findEvents(Json::parse(R"([["id","greater_than",100]])"), 500);
  ASSERT_TRUE(events.has_value()) << events.error().describe();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].json, record);
  EXPECT_EQ((*events)[0].entity->id, 3);
  EXPECT_EQ((*events)[0].user->name, "daemon");
}

TEST(EventFields, AreTheOriginalDaemonsFields) {
  EXPECT_EQ(eventFields(), (std::vector<std::string>{"id", "event_type", "attribute_name", "meta", "entity",
                                                     "user", "project", "session_uuid", "created_at"}));
}

}  // namespace
}  // namespace sgeventd::shotgrid
