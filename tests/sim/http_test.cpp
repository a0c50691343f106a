// The api3 server and the /sim controls over real HTTP, and every fault kind as a client sees it.
#include <httplib.h>

#include <chrono>

#include "sim/server.h"
#include "sim_test_util.h"

namespace sgeventd::sim {
namespace {

using namespace testing;

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_ = openSite();
    server_ = std::make_unique<Server>(*site_);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }
  void TearDown() override { server_->stop(); }

  static std::string envelope(const std::string& method, const Json& params = Json::object()) {
    Json body{{"method_name", method}, {"params", Json::array()}};
    if (method != "info") {
      body["params"].push_back({{"script_name", "sgeventd"}, {"script_key", "sim-key"}});
      body["params"].push_back(params);
    }
    return body.dump();
  }

  httplib::Result post(const std::string& method, const Json& params = Json::object(),
                       const std::string& path = "/api3/json") {
    return client_->Post(path.c_str(), envelope(method, params), "application/json; charset=utf-8");
  }

  Json control(const std::string& path, const Json& body) {
    auto res = client_->Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(res);
    EXPECT_EQ(res ? res->status : 0, 200) << (res ? res->body : "");
    return res ? Json::parse(res->body, nullptr, false) : Json(nullptr);
  }

  std::unique_ptr<Site> site_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpTest, ServesApi3WithJsonContentTypeAndAPathPrefix) {
  auto res = post("info");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(Json::parse(res->body)["results"]["version"], Json::array({8, 50, 0}));
  res = post("read", eventQuery(0), "/prefix/api3/json");
  ASSERT_TRUE(res);
  EXPECT_TRUE(Json::parse(res->body)["results"]["entities"].is_array());
}

TEST_F(HttpTest, HttpStatusFaultsForTheNextNCalls) {
  for (const int status : {500, 502, 503, 504}) {
    control("/sim/faults", {{"kind", "http_status"}, {"status", status}, {"count", 2}});
    for (int i = 0; i < 2; ++i) {
      auto res = post("read", eventQuery(0));
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, status);
    }
    auto res = post("read", eventQuery(0));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
}

TEST_F(HttpTest, TooManyRequestsCarriesRetryAfter) {
  site_->injectFault({.kind = FaultKind::TooManyRequests, .retryAfterSeconds = 7});
  auto res = post("read", eventQuery(0));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("Retry-After"), "7");
}

TEST_F(HttpTest, Api3ExceptionWithAChosenCode) {
  for (const int code : {102, 103, 104}) {
    site_->injectFault({.kind = FaultKind::Api3Exception, .errorCode = code});
    auto res = post("read", eventQuery(0));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    const Json body = Json::parse(res->body);
    EXPECT_EQ(body["exception"], true);
    EXPECT_EQ(body["error_code"], code);
    EXPECT_TRUE(body["message"].is_string());
  }
}

TEST_F(HttpTest, SlowReplyArrivesAfterTheDelay) {
  site_->injectFault({.kind = FaultKind::Slow, .delayMs = 300});
  const auto start = std::chrono::steady_clock::now();
  auto res = post("read", eventQuery(0));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_TRUE(Json::parse(res->body).contains("results"));
}

TEST_F(HttpTest, ConnectionResetGivesTheClientNoReply) {
  site_->appendSyntheticEvents(50);
  site_->injectFault({.kind = FaultKind::ConnectionReset});
  auto res = post("read", eventQuery(0));
  EXPECT_FALSE(res) << "status " << (res ? res->status : 0);
  auto again = post("read", eventQuery(0));  // the next call works on a fresh connection
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpTest, TruncatedJsonIsA200WithACutBody) {
  site_->appendSyntheticEvents(20);
  site_->injectFault({.kind = FaultKind::TruncatedJson});
  auto res = post("read", eventQuery(0));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(Json::parse(res->body, nullptr, false).is_discarded());
}

TEST_F(HttpTest, ProbabilityFaultsApplyPerMethod) {
  site_->injectFault(
      {.kind = FaultKind::HttpStatus, .httpStatus = 503, .count = 0, .probability = 1.0, .method = "read"});
  EXPECT_EQ(post("read", eventQuery(0))->status, 503);
  EXPECT_EQ(post("read", eventQuery(0))->status, 503);
  EXPECT_EQ(post("info")->status, 200);
  site_->clearFaults();
  EXPECT_EQ(post("read", eventQuery(0))->status, 200);
}

TEST_F(HttpTest, ControlEndpoints) {
  const Json appended = control("/sim/events", {{"count", 10}, {"created_at", "2020-01-01T00:00:00Z"}});
  EXPECT_EQ(appended, (Json{{"first", 1}, {"last", 10}}));
  const Json hidden = control("/sim/hide", {{"next", 2}});
  EXPECT_EQ(hidden["ids"], Json::array({11, 12}));
  control("/sim/events", {{"count", 3}});
  control("/sim/hide", {{"ids", {1}}, {"mode", "never"}});
  auto read = [&] { return ids(Json::parse(post("read", eventQuery(0))->body)["results"]); };
  EXPECT_EQ(read(), (std::vector<std::int64_t>{2, 3, 4, 5, 6, 7, 8, 9, 10, 13}));
  control("/sim/release", {{"ids", {11}}});
  control("/sim/release", Json::object());
  EXPECT_EQ(read().size(), 12u);
  const Json counters = Json::parse(client_->Get("/sim/counters")->body);
  EXPECT_EQ(counters["calls"]["read"], 2);
  EXPECT_EQ(counters["rows"]["read"], 22);
  control("/sim/counters/reset", Json::object());
  EXPECT_EQ(Json::parse(client_->Get("/sim/counters")->body)["calls"], Json::object());
  const Json status = Json::parse(client_->Get("/sim/status")->body);
  EXPECT_EQ(status["last_event_id"], 13);
  auto bad = client_->Post("/sim/faults", R"({"kind":"meteor"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  control("/sim/faults", {{"kind", "api3_exception"}, {"error_code", 104}, {"method", "read"}});
  EXPECT_EQ(Json::parse(post("read", eventQuery(0))->body)["error_code"], 104);
}

TEST_F(HttpTest, OldEventsFromTheControlCarryTheirCreatedAt) {
  control("/sim/events", {{"count", 2}, {"created_at", "2020-01-01T00:00:00Z"}});
  const Json body = Json::parse(post("read", eventQuery(0))->body);
  EXPECT_EQ(body["results"]["entities"][0]["created_at"], "2020-01-01T00:00:00Z");
}

}  // namespace
}  // namespace sgeventd::sim
