// The client over real HTTP against a scripted stub server.
#include <gtest/gtest.h>

#include <thread>

#include "../support/silent_server.h"
#include "../support/wait.h"
#include "closing_server.h"
#include "core/memory_log.h"
#include "shotgrid/client.h"
#include "shotgrid/datetime.h"
#include "shotgrid/response.h"
#include "stub_server.h"

namespace sgeventd::shotgrid {
namespace {

using namespace std::chrono_literals;
using testing::ClosingServer;
using testing::StubReply;
using testing::StubServer;

constexpr const char* kKey = "s3cr3t-key-0123456789";

ClientOptions optionsFor(const std::string& url) {
  ClientOptions o;
  o.server = url;
  o.auth = {"daemon", kKey, std::nullopt, std::nullopt};
  o.connectTimeout = 2000ms;
  o.totalTimeout = 5000ms;
  o.retry.maxAttempts = 3;
  o.retry.backoff = {1ms, 5ms};
  o.acceptCompression = false;
  return o;
}

std::string json(const Json& j) { return j.dump(); }

StubReply exceptionReply(int code, const std::string& message) {
  return StubReply{200, json({{"exception", true}, {"error_code", code}, {"message", message}})};
}

StubReply readReply(const Json& entities, const Json& pagingInfo = nullptr) {
  Json results{{"entities", entities}};
  if (!pagingInfo.is_null()) {
    results["paging_info"] = pagingInfo;
  }
  return StubReply{200, json({{"results", results}})};
}

class ClientHttp : public ::testing::Test {
 protected:
  StubServer server;
  Client client{optionsFor(server.url())};
};

TEST_F(ClientHttp, InfoSendsNoAuthAndTheRightHeaders) {
  server.pushResults({{"version", {8, 50, 0}}});
  auto r = client.info();
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ((*r)["version"], Json({8, 50, 0}));
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/api3/json");
  EXPECT_EQ(reqs[0].body, Json::parse(R"({"method_name":"info","params":[]})"));
  const auto& h = reqs[0].headers;
  EXPECT_EQ(h.find("Content-Type")->second, "application/json; charset=utf-8");
  EXPECT_EQ(h.find("Connection")->second, "keep-alive");
  EXPECT_EQ(h.find("User-Agent")->second, "sgeventd/0.1");
}

TEST_F(ClientHttp, BareInfoWithoutResultsIsAccepted) {
  server.push(StubReply{200, R"({"version":[8,50,0],"api_max_entities_per_page":500})"});
  auto r = client.info();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)["api_max_entities_per_page"], 500);
}

TEST(ClientHttpUrl, PathPrefixIsKept) {
  StubServer server;
  Client client{optionsFor(server.url() + "/prefix/")};
  ASSERT_TRUE(client.info().has_value());
  EXPECT_EQ(server.requests().at(0).path, "/prefix/api3/json");
}

TEST_F(ClientHttp, ConnectionIsReused) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.info().has_value());
  }
  const auto reqs = server.requests();
  EXPECT_EQ(reqs[0].remotePort, reqs[2].remotePort);
}

TEST(ClientHttpAuth, SessionUuidAndSudoAreMergedIntoAuth) {
  StubServer server;
  auto options = optionsFor(server.url());
  options.auth.sudoAsLogin = "artist";
  Client client{options};
  server.pushResults(true);
  ASSERT_TRUE(client.remove("Shot", 1).has_value());
  client.setSessionUuid("5a1d49b0-0c69-11e0-a24c-003048d17544");
  server.pushResults(true);
  ASSERT_TRUE(client.remove("Shot", 1).has_value());
  const auto reqs = server.requests();
  EXPECT_EQ(reqs[0].body, Json::parse(R"({"method_name":"delete","params":[
      {"script_name":"daemon","script_key":"s3cr3t-key-0123456789","sudo_as_login":"artist"},
      {"type":"Shot","id":1}]})"));
  EXPECT_EQ(reqs[1].body["params"][0]["session_uuid"], "5a1d49b0-0c69-11e0-a24c-003048d17544");
  client.setSessionUuid(std::nullopt);
  server.pushResults(true);
  ASSERT_TRUE(client.remove("Shot", 1).has_value());
  EXPECT_FALSE(server.requests()[2].body["params"][0].contains("session_uuid"));
}

TEST_F(ClientHttp, FindWithLimitIsOneReadInWireForm) {
  server.push(readReply(Json::parse(R"([{"type":"Shot","id":1,"code":"a"}])")));
  FindOptions options;
  options.limit = 10;
  options.order = Json::parse(R"([{"column":"code"}])");
  options.includeArchivedProjects = false;
  auto r =
      client.find("Shot", Json::parse(R"([["project","is",{"type":"Project","id":1,"name":"P","x":1}]])"),
                  {"code"}, options);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(*r, Json::parse(R"([{"type":"Shot","id":1,"code":"a"}])"));
  const Json body = server.requests().at(0).body;
  EXPECT_EQ(body["method_name"], "read");
  EXPECT_EQ(body["params"][0],
            Json::parse(R"({"script_name":"daemon","script_key":"s3cr3t-key-0123456789"})"));
  EXPECT_EQ(body["params"][1], Json::parse(R"({"type":"Shot","return_fields":["code"],
      "filters":{"logical_operator":"and","conditions":[
         {"path":"project","relation":"is","values":[{"type":"Project","id":1,"name":"P"}]}]},
      "return_only":"active","paging":{"entities_per_page":10,"current_page":1},
      "sorts":[{"field_name":"code","direction":"asc"}],"api_return_image_urls":true,
      "return_paging_info":false,"include_archived_projects":false})"));
}

TEST_F(ClientHttp, RetiredOnlyAndDefaultFields) {
  server.push(readReply(Json::array()));
  FindOptions options;
  options.retiredOnly = true;
  options.limit = 1;
  ASSERT_TRUE(client.find("Shot", Json::array(), {}, options).has_value());
  const Json params = server.requests().at(0).body["params"][1];
  EXPECT_EQ(params["return_only"], "retired");
  EXPECT_EQ(params["return_fields"], Json({"id"}));
  EXPECT_FALSE(params.contains("include_archived_projects"));
  EXPECT_FALSE(params.contains("sorts"));
}

// Serves `total` Shots in pages of the requested size; `style` picks which paging_info keys it sends.
enum class PagingStyle { HasNextPage, EntityCountOnly, Nothing };
void servePages(StubServer& server, int total, PagingStyle style) {
  server.setFallback([total, style](const Json& request) {
    const Json paging = request["params"][1]["paging"];
    const int perPage = paging["entities_per_page"];
    const int page = paging["current_page"];
    Json entities = Json::array();
    for (int id = (page - 1) * perPage + 1; id <= std::min(total, page * perPage); ++id) {
      entities.push_back({{"type", "Shot"}, {"id", id}});
    }
    Json info = Json::object();
    if (style == PagingStyle::HasNextPage) {
      info = {{"has_next_page", page * perPage < total}, {"entity_count", total}};
    } else if (style == PagingStyle::EntityCountOnly) {
      info = {{"entity_count", total}};
    }
    return readReply(entities, style == PagingStyle::Nothing ? Json() : info);
  });
}

std::vector<int> ids(const Json& entities) {
  std::vector<int> out;
  for (const auto& e : entities) {
    out.push_back(e["id"]);
  }
  return out;
}

TEST(ClientHttpPaging, EveryPatternReadsEveryPage) {
  for (const auto style : {PagingStyle::HasNextPage, PagingStyle::EntityCountOnly, PagingStyle::Nothing}) {
    for (const int total : {0, 3, 4, 5}) {
      StubServer server;
      auto options = optionsFor(server.url());
      options.entitiesPerPage = 2;
      Client client{options};
      servePages(server, total, style);
      auto r = client.find("Shot", Json::array(), {"id"});
      ASSERT_TRUE(r.has_value()) << r.error().describe();
      std::vector<int> expected;
      for (int i = 1; i <= total; ++i) {
        expected.push_back(i);
      }
      EXPECT_EQ(ids(*r), expected) << "style " << static_cast<int>(style) << " total " << total;
      // Exact pages: has_next_page / entity_count stop right away; without them one more (short or empty)
      // page.
      const std::size_t pages = static_cast<std::size_t>(std::max(1, (total + 1) / 2));
      const std::size_t extra = style == PagingStyle::Nothing && total % 2 == 0 && total > 0 ? 1u : 0u;
      EXPECT_EQ(server.requestCount(), pages + extra)
          << "style " << static_cast<int>(style) << " total " << total;
      const Json first = server.requests().at(0).body["params"][1];
      EXPECT_EQ(first["return_paging_info"], true);
      EXPECT_EQ(first["paging"], Json::parse(R"({"entities_per_page":2,"current_page":1})"));
    }
  }
}

TEST(ClientHttpPaging, LimitAbovePageSizeStopsEarly) {
  StubServer server;
  auto options = optionsFor(server.url());
  options.entitiesPerPage = 2;
  Client client{options};
  servePages(server, 10, PagingStyle::HasNextPage);
  FindOptions find;
  find.limit = 3;
  auto r = client.find("Shot", Json::array(), {"id"}, find);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(ids(*r), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(server.requestCount(), 2u);
}

TEST(ClientHttpPaging, ExplicitPageIsOneRequest) {
  StubServer server;
  auto options = optionsFor(server.url());
  options.entitiesPerPage = 2;
  Client client{options};
  servePages(server, 10, PagingStyle::HasNextPage);
  FindOptions find;
  find.page = 3;
  auto r = client.find("Shot", Json::array(), {"id"}, find);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(ids(*r), (std::vector<int>{5, 6}));
  EXPECT_EQ(server.requestCount(), 1u);
  EXPECT_EQ(server.requests()[0].body["params"][1]["return_paging_info"], false);
}

TEST_F(ClientHttp, FindOneReturnsFirstOrNull) {
  server.push(readReply(Json::parse(R"([{"type":"Shot","id":4}])")));
  server.push(readReply(Json::array()));
  auto found = client.findOne("Shot", Json::parse(R"([["id","is",4]])"), {});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ((*found)["id"], 4);
  auto none = client.findOne("Shot", Json::parse(R"([["id","is",5]])"), {});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->is_null());
  EXPECT_EQ(server.requests()[0].body["params"][1]["paging"]["entities_per_page"], 1);
}

TEST_F(ClientHttp, ReadWithoutEntitiesIsMalformed) {
  server.pushResults(Json::object());
  auto r = client.find("Shot", Json::array(), {}, FindOptions{Json::array(), 5});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
}

TEST_F(ClientHttp, CreateSendsFieldListAndTakesFirstOfAList) {
  server.pushResults(Json::parse(R"([{"type":"Shot","id":7,"code":"x"}])"));
  auto r = client.create("Shot", Json::parse(R"({"code":"x","project":{"type":"Project","id":1}})"));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ((*r)["id"], 7);
  EXPECT_EQ(server.requests()[0].body["params"][1], Json::parse(R"({"type":"Shot",
      "fields":[{"field_name":"code","value":"x"},{"field_name":"project","value":{"type":"Project","id":1}}],
      "return_fields":["id"]})"));
  EXPECT_FALSE(client.create("Shot", Json::array()).has_value());
}

TEST_F(ClientHttp, UpdateCarriesMultiEntityModePerField) {
  server.pushResults(Json::parse(R"({"type":"Shot","id":5,"code":"y"})"));
  auto r = client.update("Shot", 5, Json::parse(R"({"code":"y","assets":[{"type":"Asset","id":9}]})"),
                         Json::parse(R"({"assets":"add"})"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(server.requests()[0].body["params"][1], Json::parse(R"({"type":"Shot","id":5,"fields":[
      {"field_name":"assets","value":[{"type":"Asset","id":9}],"multi_entity_update_mode":"add"},
      {"field_name":"code","value":"y"}]})"));
}

TEST_F(ClientHttp, DeleteAndReviveReturnBooleans) {
  server.pushResults(true);
  server.pushResults(false);
  server.pushResults("yes");
  EXPECT_EQ(client.remove("Shot", 5).value(), true);
  EXPECT_EQ(client.revive("Shot", 5).value(), false);
  auto odd = client.remove("Shot", 5);
  ASSERT_FALSE(odd.has_value());
  EXPECT_EQ(odd.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(server.requests()[1].body["method_name"], "revive");
}

TEST_F(ClientHttp, BatchTranslatesRequestsIntoAList) {
  server.pushResults(Json::parse(R"([{"type":"Shot","id":8},{"type":"Shot","id":3},true])"));
  auto r = client.batch(Json::parse(R"([
      {"request_type":"create","entity_type":"Shot","data":{"code":"z"}},
      {"request_type":"update","entity_type":"Shot","entity_id":3,"data":{"assets":[]},
       "multi_entity_update_modes":{"assets":"remove"}},
      {"request_type":"delete","entity_type":"Shot","entity_id":5}])"));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->size(), 3u);
  EXPECT_EQ(server.requests()[0].body["params"][1], Json::parse(R"([
      {"request_type":"create","type":"Shot","fields":[{"field_name":"code","value":"z"}],"return_fields":["id"]},
      {"request_type":"update","type":"Shot","id":3,
       "fields":[{"field_name":"assets","value":[],"multi_entity_update_mode":"remove"}]},
      {"request_type":"delete","type":"Shot","id":5}])"));
  auto empty = client.batch(Json::array());
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(server.requestCount(), 1u);
  EXPECT_FALSE(
      client.batch(Json::parse(R"([{"request_type":"explode","entity_type":"Shot","entity_id":1}])")));
  EXPECT_FALSE(client.batch(Json::parse(R"([{"request_type":"update","entity_type":"Shot","data":{}}])")));
}

TEST_F(ClientHttp, SummarizeAndSchemaPayloads) {
  server.pushResults(Json::parse(R"({"summaries":{"id":2},"groups":[]})"));
  auto s = client.summarize("Shot", Json::parse(R"([["id","greater_than",0]])"),
                            Json::parse(R"([{"field":"id","type":"count"}])"),
                            Json::parse(R"([{"field":"code","type":"exact","direction":"asc"}])"), false);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(server.requests()[0].body["params"][1], Json::parse(R"({"type":"Shot",
      "summaries":[{"field":"id","type":"count"}],
      "filters":{"logical_operator":"and","conditions":[{"path":"id","relation":"greater_than","values":[0]}]},
      "grouping":[{"field":"code","type":"exact","direction":"asc"}],"include_archived_projects":false})"));
  ASSERT_TRUE(client.schemaRead().has_value());
  ASSERT_TRUE(client.schemaEntityRead(Json{{"type", "Project"}, {"id", 1}}).has_value());
  ASSERT_TRUE(client.schemaFieldRead("Shot", std::string("code")).has_value());
  const auto reqs = server.requests();
  EXPECT_EQ(reqs[1].body["method_name"], "schema_read");
  EXPECT_EQ(reqs[1].body["params"].size(), 1u);  // auth only
  EXPECT_EQ(reqs[2].body["params"][1], Json::parse(R"({"project":{"type":"Project","id":1}})"));
  EXPECT_EQ(reqs[3].body["params"][1], Json::parse(R"({"type":"Shot","field_name":"code"})"));
}

TEST_F(ClientHttp, FindEventsSendsTheDaemonQueryAndDecodes) {
  server.push(readReply(Json::parse(R"([
      {"type":"EventLogEntry","id":101,"event_type":"Shotgun_Shot_New","attribute_name":null,"meta":{"type":"new_entity"},
       "entity":{"type":"Shot","id":3,"name":"s"},"user":{"type":"ApiUser","id":1},"project":null,
       "session_uuid":"u","created_at":"2024-01-02T03:04:05Z"},
      {"type":"EventLogEntry","id":102,"event_type":"Shotgun_Shot_Change","attribute_name":"code","meta":null}])")));
  auto events = client.findEvents(Json::parse(R"([["id","greater_than",100]])"), 500);
  ASSERT_TRUE(events.has_value()) << events.error().describe();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].id, 101);
  EXPECT_EQ((*events)[0].entity->name, "s");
  EXPECT_EQ((*events)[0].metaJson, R"({"type":"new_entity"})");
  EXPECT_EQ((*events)[0].createdAt, parseDateTime("2024-01-02T03:04:05Z"));
  EXPECT_EQ((*events)[1].attributeName, "code");
  EXPECT_EQ(server.requests()[0].body["params"][1], Json::parse(R"({"type":"EventLogEntry",
      "return_fields":["id","event_type","attribute_name","meta","entity","user","project","session_uuid","created_at"],
      "filters":{"logical_operator":"and","conditions":[{"path":"id","relation":"greater_than","values":[100]}]},
      "return_only":"active","paging":{"entities_per_page":500,"current_page":1},
      "sorts":[{"field_name":"id","direction":"asc"}],"api_return_image_urls":true,"return_paging_info":false})"));
}

TEST_F(ClientHttp, FindEventsRejectsARecordWithoutId) {
  server.push(
      readReply(Json::parse(R"([{"type":"EventLogEntry","id":1},{"type":"EventLogEntry","id":"2"}])")));
  auto events = client.findEvents(Json::array(), 10);
  ASSERT_FALSE(events.has_value());
  EXPECT_EQ(events.error().kind, ErrorKind::Malformed);
  EXPECT_FALSE(client.findEvents(Json::array(), 0).has_value());
}

// --- errors and retries ---

TEST_F(ClientHttp, ApiExceptionsAreTypedAndNeverRetried) {
  server.push(exceptionReply(102, "Can't authenticate script 'daemon'"));
  server.push(exceptionReply(103, "API read() invalid/missing integer 'paging'"));
  server.push(exceptionReply(104, "API update() CRUD ERROR #51"));
  auto auth = client.info();
  ASSERT_FALSE(auth.has_value());
  EXPECT_EQ(auth.error().kind, ErrorKind::Authentication);
  EXPECT_EQ(auth.error().attempts, 1);
  auto f103 = client.find("Shot", Json::array(), {}, FindOptions{Json::array(), 1});
  ASSERT_FALSE(f103.has_value());
  EXPECT_EQ(f103.error().kind, ErrorKind::Fault);
  EXPECT_EQ(f103.error().faultCode, 103);
  auto f104 = client.update("Shot", 1, Json::parse(R"({"code":"a"})"));
  EXPECT_EQ(f104.error().describe(), "Fault 104: API update() CRUD ERROR #51");
  EXPECT_EQ(server.requestCount(), 3u);
}

TEST_F(ClientHttp, ReadsRetryGatewayErrorsThenSucceed) {
  server.push(StubReply{502, "bad gateway"});
  server.push(StubReply{503, "busy"});
  server.pushResults({{"version", {8, 50, 0}}});
  auto r = client.info();
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(server.requestCount(), 3u);
}

TEST_F(ClientHttp, ReadsGiveUpAfterMaxAttempts) {
  for (int i = 0; i < 5; ++i) {
    server.push(StubReply{504, "timeout"});
  }
  auto r = client.info();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::Protocol);
  EXPECT_EQ(r.error().httpStatus, 504);
  EXPECT_EQ(r.error().attempts, 3);
  EXPECT_EQ(server.requestCount(), 3u);
}

TEST_F(ClientHttp, ServerErrorIsNotRetried) {
  server.push(StubReply{500, "boom"});
  auto r = client.info();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().httpStatus, 500);
  EXPECT_EQ(server.requestCount(), 1u);
}

TEST_F(ClientHttp, Service503MessageIsPAs) {
  for (int i = 0; i < 3; ++i) {
    server.push(StubReply{503, "busy"});
  }
  auto r = client.info();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, kMaintenanceMessage);
}

TEST_F(ClientHttp, RetryAfterIsHonoured) {
  server.push(StubReply{429, "slow down", {{"Retry-After", "1"}}});
  server.pushResults(1);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.info().has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 950ms);
  EXPECT_EQ(server.requestCount(), 2u);
}

TEST(ClientHttpRetry, RetryAfterIsCapped) {
  StubServer server;
  auto options = optionsFor(server.url());
  options.retry.maxRetryAfter = 20ms;
  Client client{options};
  server.push(StubReply{429, "slow down", {{"Retry-After", "3600"}}});
  server.pushResults(1);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.info().has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(ClientHttp, TruncatedJsonIsRetriedForReads) {
  server.push(StubReply{200, R"({"results": {"entities": [{"id": 1)"});
  server.push(readReply(Json::parse(R"([{"type":"Shot","id":1}])")));
  auto r = client.find("Shot", Json::array(), {}, FindOptions{Json::array(), 1});
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(server.requestCount(), 2u);
}

TEST_F(ClientHttp, PersistentGarbageEndsMalformed) {
  server.setFallback([](const Json&) { return StubReply{200, "<html>proxy login</html>"}; });
  auto r = client.info();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(r.error().attempts, 3);
}

TEST_F(ClientHttp, ConnectionDroppedMidBodyIsRetriedForReads) {
  server.push(StubReply{200, R"({"results": {"version": [8, 50, 0]}})", {}, 0ms, true});
  server.pushResults({{"version", {8, 50, 0}}});
  auto r = client.info();
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(server.requestCount(), 2u);
}

TEST(ClientHttpRetry, SlowReplyTimesOut) {
  StubServer server;
  auto options = optionsFor(server.url());
  options.totalTimeout = 200ms;
  options.retry.maxAttempts = 2;
  Client client{options};
  server.setFallback([](const Json&) { return StubReply{200, R"({"results":1})", {}, 5000ms}; });
  auto r = client.info();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
  EXPECT_EQ(r.error().attempts, 2);
}

TEST(ClientHttpRetry, WritesAreNotRetriedOnceSent) {
  StubServer server;
  auto options = optionsFor(server.url());
  options.totalTimeout = 200ms;
  Client client{options};
  server.push(StubReply{503, "busy"});
  auto busy = client.create("Shot", Json::parse(R"({"code":"a"})"));
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().httpStatus, 503);
  EXPECT_EQ(busy.error().attempts, 1);
  server.push(StubReply{200, R"({"results":{"id":1}})", {}, 5000ms});
  auto slow = client.update("Shot", 1, Json::parse(R"({"code":"a"})"));
  ASSERT_FALSE(slow.has_value());
  EXPECT_EQ(slow.error().kind, ErrorKind::Timeout);
  server.push(StubReply{200, R"({"results": [)"});
  auto truncated =
      client.batch(Json::parse(R"([{"request_type":"delete","entity_type":"Shot","entity_id":1}])"));
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(server.requestCount(), 3u);
}

TEST(ClientHttpRetry, ClosedConnectionIsAConnectionErrorAndReadsRetry) {
  ClosingServer closing;
  Client client{optionsFor("http://127.0.0.1:" + std::to_string(closing.port()))};
  auto r = client.info();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::Connection);
  EXPECT_EQ(r.error().attempts, 3);
  auto w = client.remove("Shot", 1);
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().attempts, 1);
}

TEST(ClientHttpRetry, RefusedConnectionIsRetriedEvenForWrites) {
  Client client{optionsFor("http://127.0.0.1:" + std::to_string(testing::unusedPort()))};
  auto w = client.create("Shot", Json::parse(R"({"code":"a"})"));
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().kind, ErrorKind::Connection);
  EXPECT_EQ(w.error().attempts, 3);
}

TEST(ClientHttpRetry, ShutdownCutsTheWaitShort) {
  StubServer server;
  core::Shutdown shutdown;
  shutdown.request();
  auto options = optionsFor(server.url());
  options.retry.backoff = {10000ms, 10000ms};
  options.shutdown = &shutdown;
  Client client{options};
  server.push(StubReply{502, "x"});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(client.info().has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(server.requestCount(), 1u);
}

// Regression: a line per retry turned every 502/503/429 storm into a flood (and, with no logger wired,
// into silence). One burst is one WARNING when it starts and one line with the count when it ends.
TEST(ClientHttpRetry, ABurstOfFailuresLogsOneWarningAndOneLineWithTheCount) {
  StubServer server;
  auto logs = std::make_shared<core::MemoryLogFactory>();
  auto options = optionsFor(server.url());
  options.retry.maxAttempts = 5;
  options.logger = logs->get("shotgrid");
  Client client{options};
  server.push(StubReply{502, "bad gateway"});
  server.push(StubReply{503, "busy"});
  server.push(StubReply{429, "slow down", {{"Retry-After", "0"}}});
  server.push(StubReply{200, R"({"results": {"version": [8)"});  // truncated JSON
  server.pushResults({{"version", {8, 50, 0}}});
  ASSERT_TRUE(client.info().has_value());
  EXPECT_EQ(server.requestCount(), 5u);
  const auto records = logs->sink().records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].level, core::LogLevel::Warning);
  EXPECT_NE(records[0].message.find("api3 info failed (HTTP 502"), std::string::npos) << records[0].message;
  EXPECT_NE(records[0].message.find("retrying, up to 5 attempts"), std::string::npos) << records[0].message;
  EXPECT_EQ(records[1].level, core::LogLevel::Info);
  EXPECT_NE(records[1].message.find("succeeded after 5 attempts"), std::string::npos) << records[1].message;
  EXPECT_NE(records[1].message.find("not valid JSON"), std::string::npos) << records[1].message;
}

TEST(ClientHttpRetry, ABurstThatGivesUpSaysSoOnceWithTheCount) {
  StubServer server;
  auto logs = std::make_shared<core::MemoryLogFactory>();
  auto options = optionsFor(server.url());
  options.logger = logs->get("shotgrid");
  Client client{options};
  server.setFallback([](const Json&) { return StubReply{503, "busy"}; });
  ASSERT_FALSE(client.info().has_value());
  const auto records = logs->sink().records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(records[0].message.find("retrying"), std::string::npos) << records[0].message;
  EXPECT_EQ(records[1].level, core::LogLevel::Warning);
  EXPECT_NE(records[1].message.find("api3 info failed after 3 attempts"), std::string::npos)
      << records[1].message;
  // A failure that is not retried is the caller's to report: no line of its own.
  server.setFallback([](const Json&) { return exceptionReply(103, "no such entity"); });
  ASSERT_FALSE(client.info().has_value());
  EXPECT_EQ(logs->sink().records().size(), 2u);
}

TEST(ClientHttpRetry, AStopDuringARetryAfterWaitEndsTheCallAtOnce) {
  StubServer server;
  core::Shutdown shutdown;
  auto logs = std::make_shared<core::MemoryLogFactory>();
  auto options = optionsFor(server.url());
  options.shutdown = &shutdown;
  options.logger = logs->get("shotgrid");
  Client client{options};
  server.push(StubReply{429, "slow down", {{"Retry-After", "30"}}});
  server.pushResults(1);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    shutdown.request();
  });
  const auto start = std::chrono::steady_clock::now();
  const auto r = client.info();
  const auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().httpStatus, 429);
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(server.requestCount(), 1u);
  EXPECT_EQ(logs->sink().count("the daemon is stopping"), 1u);
}

TEST(ClientHttpRetry, AStopAbandonsARequestTheServerNeverAnswers) {
  sgeventd::testing::SilentServer server;
  core::Shutdown shutdown;
  auto logs = std::make_shared<core::MemoryLogFactory>();
  auto options = optionsFor("http://127.0.0.1:" + std::to_string(server.port()));
  options.totalTimeout = 600s;  // without the stop, the call would wait for this
  options.shutdown = &shutdown;
  options.abandonOnStop = true;
  options.logger = logs->get("shotgrid");
  Client client{options};
  std::thread stopper([&] {
    // The stop comes while the request is in flight: the server has its bytes and says nothing.
    EXPECT_TRUE(sgeventd::testing::waitUntil([&] { return server.requestsSeen() == 1; }));
    shutdown.request();
  });
  const auto r = client.info();
  stopper.join();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("the daemon is stopping"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().attempts, 1);
  EXPECT_EQ(server.requestsSeen(), 1);  // not sent again
  EXPECT_EQ(logs->sink().count("abandoned after 1 attempt: the daemon is stopping"), 1u);
}

TEST(ClientHttpSecrets, KeyNeverShowsInErrorsOrLogs) {
  StubServer server;
  auto logs = std::make_shared<core::MemoryLogFactory>();
  auto options = optionsFor(server.url());
  options.logger = logs->get("shotgrid");
  Client client{options};
  const std::string echo = std::string("bad key '") + kKey + "' for daemon";
  server.push(StubReply{200, R"(not json )" + std::string(kKey)});
  server.push(exceptionReply(102, echo));
  auto r = client.find("Shot", Json::array(), {}, FindOptions{Json::array(), 1});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::Authentication);
  EXPECT_EQ(r.error().describe().find(kKey), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().message.find("***"), std::string::npos);
  const auto records = logs->sink().records();
  ASSERT_FALSE(records.empty());  // the retry after the garbage reply was logged
  for (const auto& record : records) {
    EXPECT_EQ(record.message.find(kKey), std::string::npos) << record.message;
    EXPECT_EQ(record.level, core::LogLevel::Warning);
  }
}

TEST(ClientHttpArgs, InvalidArgumentsAreCaughtBeforeSending) {
  StubServer server;
  Client client{optionsFor(server.url())};
  EXPECT_EQ(client.find("Shot", Json::parse(R"([["id"]])"), {}).error().kind, ErrorKind::InvalidArgument);
  EXPECT_EQ(client.find("Shot", Json::array(), {}, FindOptions{Json::array(), -1}).error().kind,
            ErrorKind::InvalidArgument);
  EXPECT_EQ(client.update("Shot", 1, Json::parse(R"({"a":1})"), Json::array()).error().kind,
            ErrorKind::InvalidArgument);
  EXPECT_EQ(server.requestCount(), 0u);
  Client noServer{ClientOptions{}};
  EXPECT_EQ(noServer.info().error().kind, ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace sgeventd::shotgrid
