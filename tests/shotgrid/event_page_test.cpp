// The event path's simdjson decoder against the general (nlohmann) one: what it takes it must decode the
// same, and whatever it declines goes the general way.
#include "shotgrid/event_page.h"

#include <gtest/gtest.h>

#include "shotgrid/client.h"
#include "shotgrid/datetime.h"
#include "shotgrid/event_codec.h"
#include "shotgrid/http_transport.h"
#include "shotgrid/response.h"
#include "stub_server.h"

namespace sgeventd::shotgrid {
namespace {

using Ordered = nlohmann::ordered_json;

HttpResponse reply(std::string body, long status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string page(const std::string& records) { return R"({"results":{"entities":[)" + records + "]}}"; }

// findEvents' general path: the meaning of every reply before the fast one, and of each it declines.
Result<std::vector<core::Event>> generally(const HttpResponse& response) {
  auto body = decodeOrderedResponse(response);
  if (!body) {
    return tl::unexpected(body.error());
  }
  return eventsFromBody(std::move(*body));
}

void expectSameRef(const std::optional<core::EntityRef>& a, const std::optional<core::EntityRef>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (a) {
    EXPECT_EQ(a->type, b->type);
    EXPECT_EQ(a->id, b->id);
    EXPECT_EQ(a->name, b->name);
  }
}

// The fast path takes `body` and decodes it as the general path does; its events are returned.
std::vector<core::Event> fastAndSame(const std::string& body) {
  const auto fast = decodeEventPage(reply(body), 500);
  EXPECT_TRUE(fast.has_value()) << body;
  const auto general = generally(reply(body));
  EXPECT_TRUE(general.has_value()) << body << ": " << general.error().describe();
  if (!fast || !general) {
    return {};
  }
  EXPECT_EQ(fast->size(), general->size());
  for (std::size_t i = 0; i < std::min(fast->size(), general->size()); ++i) {
    const auto& f = (*fast)[i];
    const auto& g = (*general)[i];
    EXPECT_EQ(f.id, g.id);
    EXPECT_EQ(f.eventType, g.eventType);
    EXPECT_EQ(f.attributeName, g.attributeName);
    EXPECT_EQ(f.sessionUuid, g.sessionUuid);
    EXPECT_EQ(f.createdAt, g.createdAt);
    expectSameRef(f.entity, g.entity);
    expectSameRef(f.user, g.user);
    expectSameRef(f.project, g.project);
    // The same JSON in the same key order; the text may keep the site's escapes.
    EXPECT_EQ(Ordered::parse(f.json), Ordered::parse(g.json)) << f.json;
    EXPECT_EQ(Ordered::parse(f.metaJson), Ordered::parse(g.metaJson)) << f.metaJson;
  }
  return *fast;
}

// The fast path declines `body`; the general path gives it its meaning (`generalFails`: an error).
void declined(const std::string& body, bool generalFails, long status = 200) {
  EXPECT_FALSE(decodeEventPage(reply(body, status), 500).has_value()) << body;
  EXPECT_EQ(!generally(reply(body, status)).has_value(), generalFails) << body;
}

TEST(EventPage, AFullRecordDecodesAsTheGeneralPathAndKeepsItsTextByteForByte) {
  const std::string record =
      R"({"type":"EventLogEntry","id":4044184,"event_type":"Shotgun_Task_Change",)"
      R"("attribute_name":"sg_status_list","meta":{"type":"attribute_change","attribute_name":"sg_status_list",)"
      R"("entity_type":"Task","entity_id":11793,"old_value":"fin","new_value":"wtg"},)"
      R"("entity":{"type":"Task","id":11793,"name":"Art"},"user":{"type":"HumanUser","id":42,"name":"Ford"},)"
      R"("project":{"type":"Project","id":1,"name":"Bunny"},"session_uuid":"e8b61250",)"
      R"("created_at":"2018-11-28T15:43:07Z"})";
  const auto events = fastAndSame(page(record + "," + record));
  ASSERT_EQ(events.size(), 2u);
  const auto& e = events[0];
  EXPECT_EQ(e.json, record);  // key order and all, nested objects included
  EXPECT_EQ(e.metaJson,
            R"({"type":"attribute_change","attribute_name":"sg_status_list","entity_type":"Task",)"
            R"("entity_id":11793,"old_value":"fin","new_value":"wtg"})");
  EXPECT_EQ(e.id, 4044184);
  EXPECT_EQ(e.eventType, "Shotgun_Task_Change");
  EXPECT_EQ(e.attributeName, "sg_status_list");
  EXPECT_EQ(e.entity->type, "Task");
  EXPECT_EQ(e.entity->id, 11793);
  EXPECT_EQ(e.entity->name, "Art");
  EXPECT_EQ(e.user->name, "Ford");
  EXPECT_EQ(e.project->id, 1);
  EXPECT_EQ(e.sessionUuid, "e8b61250");
  EXPECT_EQ(e.createdAt, parseDateTime("2018-11-28T15:43:07Z"));
}

TEST(EventPage, AnEmptyPageAndPagingInfoAndOtherTopLevelKeys) {
  EXPECT_TRUE(fastAndSame(page("")).empty());
  const auto events =
      fastAndSame(R"({"exception":false,"results":{"paging_info":{"has_next_page":true,"entity_count":3},)"
                  R"("entities":[{"id":1}],"x":[1,{"y":null}]},"extra":"kept out"})");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].json, R"({"id":1})");
}

TEST(EventPage, EscapesAreUnescapedInFieldsAndKeptInTheText) {
  const std::string record =
      R"({"id":1,"event_type":"Caf\u00e9 \"q\"\n\t\\ \/","entity":{"type":"Shot","id":2,"name":"sh\u00e9\ud83d\ude00"},)"
      R"("meta":{"k\u00e9y":"v\u0000"}})";
  const auto events = fastAndSame(page(record));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].eventType, "Caf\xc3\xa9 \"q\"\n\t\\ /");
  EXPECT_EQ(events[0].entity->name, "sh\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(events[0].json, record);
  EXPECT_EQ(Ordered::parse(events[0].metaJson)["k\xc3\xa9y"], std::string("v\0", 2));
}

TEST(EventPage, RawUnicodeIsKept) {
  const auto events = fastAndSame(page(
      "{\"id\":1,\"event_type\":\"\xe6\x97\xa5\xe6\x9c\xac\",\"entity\":{\"type\":\"Shot\",\"id\":2,\"name\":"
      "\"\xc3\xa9\xf0\x9f\x8e\xac\"}}"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].eventType, "\xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(events[0].entity->name, "\xc3\xa9\xf0\x9f\x8e\xac");
}

TEST(EventPage, NullAndMissingFields) {
  const auto events = fastAndSame(page(
      R"({"id":7,"event_type":"Shotgun_Shot_New","attribute_name":null,"entity":null,"user":null,"meta":null,)"
      R"("session_uuid":null,"created_at":null},{"id":8})"));
  ASSERT_EQ(events.size(), 2u);
  for (const auto& e : events) {
    EXPECT_FALSE(e.attributeName.has_value());
    EXPECT_FALSE(e.entity.has_value());
    EXPECT_FALSE(e.user.has_value());
    EXPECT_FALSE(e.project.has_value());
    EXPECT_FALSE(e.sessionUuid.has_value());
    EXPECT_FALSE(e.createdAt.has_value());
    EXPECT_EQ(e.metaJson, "null");
  }
  EXPECT_EQ(events[1].eventType, "");
  EXPECT_EQ(events[1].json, R"({"id":8})");
}

TEST(EventPage, EntitiesFollowTakeEntitysRules) {
  const auto events = fastAndSame(page(
      R"({"id":1,"entity":{"type":"Shot","id":3},"user":{"type":"HumanUser","id":"x","name":"n"},)"
      R"("project":[1]},)"
      R"({"id":2,"entity":{"id":3,"name":"no type"},"user":{"type":5,"id":4},"project":{"type":"Project","id":1.5}},)"
      R"({"id":3,"entity":{"type":"Shot","id":-9223372036854775808,"name":7,"extra":{"a":[1]}},)"
      R"("user":{"type":"ApiUser","id":9223372036854775807,"name":"max"},"project":"Project"})"));
  ASSERT_EQ(events.size(), 3u);
  ASSERT_TRUE(events[0].entity.has_value());
  EXPECT_EQ(events[0].entity->name, "");  // an entity without a name
  EXPECT_FALSE(events[0].user.has_value());
  EXPECT_FALSE(events[0].project.has_value());
  EXPECT_FALSE(events[1].entity.has_value());
  EXPECT_FALSE(events[1].user.has_value());
  EXPECT_FALSE(events[1].project.has_value());
  EXPECT_EQ(events[2].entity->id, INT64_MIN);
  EXPECT_EQ(events[2].entity->name, "");
  EXPECT_EQ(events[2].user->id, INT64_MAX);
  EXPECT_FALSE(events[2].project.has_value());
}

TEST(EventPage, OddValuesAreNoErrors) {
  const auto events = fastAndSame(
      page(R"({"id":10,"event_type":5,"attribute_name":["a"],"created_at":"not a date","session_uuid":3,)"
           R"("unknown":{"nested":[true,false,null,-1.5e-3,18446744073709551615]}})"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].eventType, "");
  EXPECT_FALSE(events[0].attributeName.has_value());
  EXPECT_FALSE(events[0].createdAt.has_value());
  EXPECT_FALSE(events[0].sessionUuid.has_value());
  EXPECT_NE(events[0].json.find(R"("unknown":{"nested":[true,false,null,-1.5e-3,18446744073709551615]})"),
            std::string::npos);  // unknown fields stay in the text, numbers as written
}

TEST(EventPage, AFarFutureOrUnreadableCreatedAtKeepsTheEvent) {
  const auto events = fastAndSame(
      page(R"({"id":1,"created_at":"9999-12-31T23:59:59Z"},{"id":2,"created_at":"2024-13-01T00:00:00Z"},)"
           R"({"id":3,"created_at":"2024-01-02 03:04:05 UTC"})"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_FALSE(events[0].createdAt.has_value());
  EXPECT_FALSE(events[1].createdAt.has_value());
  EXPECT_EQ(events[2].createdAt, parseDateTime("2024-01-02T03:04:05Z"));
}

TEST(EventPage, MetaKeepsNestedObjectsAndArraysInOrder) {
  const std::string meta =
      R"({"type":"attribute_change","added":[{"type":"HumanUser","id":1,"valid":"valid"}],"removed":[],)"
      R"("z":{"b":{"c":[[],[{}],1.25,-0,1E+2]},"a":true}})";
  const auto events = fastAndSame(page(R"({"id":9,"meta":)" + meta + "}"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].metaJson, meta);
  const auto scalar = fastAndSame(
      page(R"({"id":1,"meta":"text"},{"id":2,"meta":12},{"id":3,"meta":-1.5e+3 },{"id":4,"meta":true})"));
  ASSERT_EQ(scalar.size(), 4u);
  EXPECT_EQ(scalar[0].metaJson, R"("text")");
  EXPECT_EQ(scalar[1].metaJson, "12");
  EXPECT_EQ(scalar[2].metaJson, "-1.5e+3");
  EXPECT_EQ(scalar[3].metaJson, "true");
}

TEST(EventPage, NegativeAndLargeIdsAreTakenAsTheGeneralPathTakesThem) {
  const auto events = fastAndSame(page(R"({"id":-5},{"id":0},{"id":-0},{"id":9223372036854775807})"));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].id, -5);
  EXPECT_EQ(events[2].id, 0);
  EXPECT_EQ(events[3].id, INT64_MAX);
  // nlohmann wraps an id above INT64_MAX around; the fast path leaves that to it.
  declined(page(R"({"id":9223372036854775808})"), false);
  declined(page(R"({"id":1,"entity":{"type":"Shot","id":9223372036854775808}})"), false);
}

TEST(EventPage, APrettyPrintedReplyIsMadeCompact) {
  const std::string body =
      "{\n  \"results\": {\n    \"entities\": [\n      {\n        \"type\": \"EventLogEntry\",\n"
      "        \"id\": 5,\n        \"meta\": {\"type\": \"new_entity\", \"ids\": [1, 2]},\n"
      "        \"entity\": {\"type\": \"Shot\", \"id\": 3, \"name\": \"a b\"}\r\n      }\t\n    ]\n  }\n}\n";
  const auto events = fastAndSame(body);
  ASSERT_EQ(events.size(), 1u);
  const auto general = generally(reply(body));
  EXPECT_EQ(events[0].json, (*general)[0].json);  // byte for byte: no escapes to differ in
  EXPECT_EQ(events[0].json, R"({"type":"EventLogEntry","id":5,"meta":{"type":"new_entity","ids":[1,2]},)"
                            R"("entity":{"type":"Shot","id":3,"name":"a b"}})");
  EXPECT_EQ(events[0].metaJson, R"({"type":"new_entity","ids":[1,2]})");
}

TEST(EventPage, ErrorRepliesAreDeclined) {
  declined(R"({"exception":true,"error_code":102,"message":"Can't authenticate"})", true);
  declined(R"({"results":{"entities":[]},"exception":true,"error_code":104,"message":"x"})", true);
  declined(page(R"({"id":1})"), true, 503);
  declined(page(R"({"id":1})"), true, 302);
  declined(page(R"({"id":1})"), true, 99);
  // Only true raises: a false or odd flag is read past.
  EXPECT_TRUE(fastAndSame(R"({"exception":"yes","results":{"entities":[{"id":1}]}})").size() == 1);
}

TEST(EventPage, RecordsTheGeneralPathRefusesAreDeclined) {
  for (const char* records : {R"({"id":1},[1])", R"("x")", "null", R"({"event_type":"x"})", R"({"id":"5"})",
                              R"({"id":5.5})", R"({"id":null})", R"({"id":1e2})", R"({"id":true})"}) {
    declined(page(records), true);
  }
}

TEST(EventPage, OtherShapesAreDeclined) {
  declined(R"({"results":null})", true);
  declined(R"({"results":{"entities":{}}})", true);
  declined(R"({"results":{"paging_info":{}}})", true);
  declined(R"([{"id":1}])", true);
  declined("5", true);
  // No "results": the body itself is the results (takeResults), a shape left to the general path.
  declined(R"({"entities":[{"id":1}]})", false);
}

TEST(EventPage, RepeatedKeysAreDeclined) {
  declined(R"({"results":{"entities":[]},"results":{"entities":[{"id":1}]}})", false);
  declined(R"({"results":{"entities":[],"entities":[{"id":1}]}})", false);
  declined(R"({"exception":false,"exception":true,"results":{"entities":[]}})", true);
  declined(page(R"({"id":1,"id":2})"), false);
  declined(page(R"({"id":1,"meta":1,"meta":2})"), false);
  declined(page(R"({"id":1,"entity":{"type":"Shot","id":2,"id":3}})"), false);
  declined(page(R"({"id":1,"entity":{"type":"Shot","type":"Asset","id":2}})"), false);
  declined(page(R"({"id":1,"entity":{"type":"Shot","id":2,"name":"a","name":"b"}})"), false);
  // An escaped key is the same key.
  declined(page(R"({"id":1,"\u0069d":2})"), false);
}

TEST(EventPage, TextNlohmannRefusesOrReadsOtherwiseIsDeclined) {
  for (const std::string& bad : std::vector<std::string>{
           page("{\"id\":1,\"event_type\":\"\xff\"}"),  // invalid UTF-8
           page("{\"id\":1,\"event_type\":\"\xc3\"}"),  // cut UTF-8
           page("{\"id\":1,\"meta\":\"a\x01\"}"),       // an unescaped control character
           page(R"({"id":1,"meta":"\q"})"),             // an unknown escape
           page(R"({"id":1,"meta":"\ud800"})"),         // a lone surrogate
           page(R"({"id":1,"m\x":1})"),                 // a bad escape in a key
           page(R"({"id":1,"meta":[1,]})"),             // a trailing comma
           page(R"({"id":1,"meta":{"a" 1}})"),          // a missing colon
           page(R"({"id":1,"meta":tru})"),              // a broken atom
           page(R"({"id":1,"meta":nul})"),              // a broken atom
           page(R"({"id":1,"meta":01})"),               // a leading zero
           page(R"({"id":1,"meta":1.})"),               // a fraction without digits
           page(R"({"id":1,"x":{"y":[-]}})"),           // a sign without digits
           page(R"({"id":1})") + " {}",                 // a second document
           page(R"({"id":1})") + "}",                   // a stray brace
           page(R"({"id":1})").substr(0, 30),           // cut short
           "",
           " ",
       }) {
    declined(bad, true);
  }
  // An integer beyond 64 bits, which nlohmann reads as a float, and a float it cannot hold.
  declined(page(R"({"id":1,"meta":{"n":18446744073709551616}})"), false);
  declined(page(R"({"id":1,"meta":[1e400]})"), true);
  // A byte-order mark, which nlohmann skips, and a NUL, where nlohmann stops reading.
  declined("\xef\xbb\xbf" + page(R"({"id":1})"), false);
  declined(page(R"({"id":1})").append(1, '\0').append("junk"), false);
}

TEST(EventPage, NestingBeyondTheLimitIsDeclinedAndBelowItRead) {
  auto nested = [](int depth) {
    return page(R"({"id":1,"meta":)" + std::string(depth, '[') + std::string(depth, ']') + "}");
  };
  // A record's fields are at level 4: meta may nest kMaxEventPageDepth - 3 arrays.
  EXPECT_EQ(fastAndSame(nested(kMaxEventPageDepth - 3)).size(), 1u);
  declined(nested(kMaxEventPageDepth - 2), false);
  // Deep, but not so deep that the general path's dump() (recursive) runs out of stack.
  declined(nested(2000), false);
}

TEST(EventPage, ABodyWithoutPaddingIsCopiedAndOneWithItIsNot) {
  const std::string body = page(R"({"id":1,"event_type":"x"})");
  HttpResponse tight = reply(body);
  tight.body.shrink_to_fit();
  ASSERT_LT(tight.body.capacity() - tight.body.size(), kBodyPadding);
  EXPECT_EQ(decodeEventPage(tight, 1)->at(0).eventType, "x");
  HttpResponse padded = reply(body);
  padded.body.reserve(body.size() + kBodyPadding);
  EXPECT_EQ(decodeEventPage(padded, 1)->at(0).eventType, "x");
}

TEST(EventPage, TheTransportLeavesPaddingWithAndWithoutGzip) {
  testing::StubServer server;
  const std::string body = page(std::string(R"({"id":1,"event_type":")") + std::string(5000, 'x') + "\"}");
  for (const bool gzip : {false, true}) {
    server.push(testing::StubReply{200, body});
    TransportOptions options;
    options.url = server.url() + "/api3/json";
    options.acceptCompression = gzip;
    HttpTransport transport(options);
    auto response = transport.post("{}");
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->body, body) << gzip;
    EXPECT_GE(response->body.capacity() - response->body.size(), kBodyPadding) << gzip;
  }
}

TEST(EventPage, FindEventsTakesTheFastPathAndFallsBackForTheRest) {
  testing::StubServer server;
  ClientOptions options;
  options.server = server.url();
  options.auth = {"daemon", "key", std::nullopt, std::nullopt};
  options.retry.maxAttempts = 1;
  options.acceptCompression = true;  // the stub gzips: the body comes out of curl's decompression
  Client client(options);
  const std::string record = R"({"type":"EventLogEntry","id":101,"meta":{"a":"\u00e9"}})";
  server.push(testing::StubReply{200, page(record)});
  // A byte-order mark: declined by the fast path, decoded by the general one, to the same event.
  server.push(testing::StubReply{200, "\xef\xbb\xbf" + page(record)});
  auto fast = client.findEvents(Json::array(), 10);
  auto general = client.findEvents(Json::array(), 10);
  ASSERT_TRUE(fast.has_value()) << fast.error().describe();
  ASSERT_TRUE(general.has_value()) << general.error().describe();
  EXPECT_EQ(fast->at(0).json, record);
  EXPECT_EQ(general->at(0).json, R"({"type":"EventLogEntry","id":101,"meta":{"a":"é"}})");
  EXPECT_EQ(Ordered::parse(fast->at(0).metaJson), Ordered::parse(general->at(0).metaJson));
}

}  // namespace
}  // namespace sgeventd::shotgrid
