// Every endpoint of the admin server over a fake engine: the JSON contract, the token rules, bad
// requests (each refused with a 4xx naming the problem and nothing applied), wrong methods, the request
// log line, and concurrent requests while the status and metrics change.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "support.h"

using namespace std::chrono_literals;
using nlohmann::json;
using sgeventd::engine::ControlRequest;
using sgeventd::testing::bodyOf;
using sgeventd::testing::FakeDaemon;

namespace {

httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

void expectError(const httplib::Result& r, int status, const std::string& words) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status) << r->body;
  const auto body = bodyOf(r);
  ASSERT_TRUE(body.is_object()) << r->body;
  ASSERT_TRUE(body["error"].is_string()) << r->body;
  EXPECT_NE(body["error"].get<std::string>().find(words), std::string::npos) << r->body;
}

sgeventd::store::FailureRecord failureOf(const std::string& plugin, std::int64_t eventId,
                                         sgeventd::store::TimePoint at) {
  sgeventd::store::FailureRecord f;
  f.collection = "/plugins";
  f.plugin = plugin;
  f.callback = "onEvent";
  f.eventId = eventId;
  f.attempts = 3;
  f.error = "Traceback (most recent call last):\n  boom";
  f.at = at;
  f.final = true;
  f.eventJson = json{{"type", "EventLogEntry"}, {"id", eventId}}.dump();
  return f;
}

}  // namespace

TEST(AdminServer, HealthzAnswersOk) {
  FakeDaemon d;
  auto r = d.http().Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(bodyOf(r)["status"], "ok");
}

TEST(AdminServer, ReadyzFollowsTheSiteAndStuckCallbacks) {
  FakeDaemon d;
  auto r = d.http().Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(bodyOf(r)["ready"], true);

  // fetch_interval 1 s: the limit is the 30 s floor.
  d.clock().advance(29s);
  EXPECT_EQ(d.http().Get("/readyz")->status, 200);
  d.clock().advance(2s);
  r = d.http().Get("/readyz");
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(bodyOf(r)["reason"].get<std::string>().find("the site last answered 31 s ago"), std::string::npos)
      << r->body;

  d.editStatus([&](auto& s) {
    s.fetcher.lastContact = d.clock().now();
    s.plugins[0].inCallbackSince = d.clock().now() - 61s;
  });
  r = d.http().Get("/readyz");
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(bodyOf(r)["reason"].get<std::string>().find("plugin alpha has been in one callback for 61 s"),
            std::string::npos)
      << r->body;
  // A disabled plugin's hung callback does not hold readiness: it receives no events anyway.
  d.editStatus([&](auto& s) { s.plugins[0].active = false; });
  EXPECT_EQ(d.http().Get("/readyz")->status, 200);

  d.editStatus([&](auto& s) { s.fetcher.lastContact.reset(); });
  r = d.http().Get("/readyz");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(bodyOf(r)["reason"], "the site has not answered yet");
}

TEST(AdminServer, StatusFollowsTheContract) {
  FakeDaemon d;
  d.editStatus([&](auto& s) {
    s.plugins[1].lastError = "Traceback (most recent call last):\n  File \"x.py\"\nValueError: \xff bad";
    s.plugins[1].processed = 7;
  });
  auto r = d.http().Get("/api/v1/status");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  const json s = bodyOf(r);
  ASSERT_TRUE(s.is_object()) << r->body;
  EXPECT_EQ(s["site"], "https://site.example");
  EXPECT_EQ(s["version"], "9.9.9");
  EXPECT_EQ(s["pid"], 1234);
  EXPECT_EQ(s["started_at"], "2026-12-01T09:00:00Z");
  EXPECT_EQ(s["uptime_seconds"], 3600);
  EXPECT_EQ(s["state"], "running");
  EXPECT_EQ(s["ready"], true);
  EXPECT_EQ(s["ready_reason"], "");
  EXPECT_EQ(s["head"]["id"], 100);
  EXPECT_EQ(s["head"]["created_at"], "2026-12-01T10:00:00Z");
  EXPECT_EQ(s["fetcher"]["last_contact"], "2026-12-01T10:00:00Z");
  EXPECT_EQ(s["fetcher"]["consecutive_protocol_errors"], 0);
  ASSERT_EQ(s["plugins"].size(), 2U);
  const json& a = s["plugins"][0];
  for (const char* key : {"name", "key", "path", "state", "reason", "cursor", "lag_events", "lag_seconds",
                          "last_event_id", "last_event_created_at", "processed", "failures", "retries",
                          "skipped", "last_error", "in_callback_since", "events_per_minute"}) {
    EXPECT_TRUE(a.contains(key)) << key;
  }
  EXPECT_EQ(a["name"], "alpha");
  EXPECT_EQ(a["key"], "/plugins::alpha");
  EXPECT_EQ(a["path"], "/plugins/alpha.py");
  EXPECT_EQ(a["state"], "active");
  EXPECT_EQ(a["lag_events"], 0);
  EXPECT_EQ(a["lag_seconds"], 0);
  EXPECT_TRUE(a["last_event_created_at"].is_null());
  EXPECT_TRUE(a["in_callback_since"].is_null());
  EXPECT_TRUE(a["events_per_minute"].is_array());
  const json& b = s["plugins"][1];
  EXPECT_EQ(b["state"], "disabled");
  EXPECT_EQ(b["reason"], "disabled by an operator");
  EXPECT_EQ(b["cursor"], 90);
  EXPECT_EQ(b["lag_events"], 10);
  EXPECT_EQ(b["lag_seconds"], 42);
  EXPECT_EQ(b["processed"], 7);
  // Not UTF-8 in a traceback is replaced, not a 500.
  EXPECT_NE(b["last_error"].get<std::string>().find("ValueError:"), std::string::npos);

  d.editStatus([](auto& s) {
    s.fetcher.head = 0;
    s.headCreatedAt.reset();
    s.plugins[0].state = sgeventd::engine::MemberState::LoadFailed;
    s.plugins[1].state = sgeventd::engine::MemberState::Deactivated;
  });
  const json t = bodyOf(d.http().Get("/api/v1/status"));
  EXPECT_TRUE(t["head"]["id"].is_null());
  EXPECT_TRUE(t["head"]["created_at"].is_null());
  EXPECT_EQ(t["plugins"][0]["state"], "load_failed");
  EXPECT_EQ(t["plugins"][1]["state"], "deactivated");
}

TEST(AdminServer, EventsPerMinuteCountsEachMinuteOldestFirst) {
  FakeDaemon d;
  auto processed = [&](std::uint64_t n) {
    d.editStatus([n](auto& s) { s.plugins[0].processed = n; });
    d.server().sampleRates();
  };
  processed(5);  // the first sample in this minute (the start took one at 0)
  d.clock().advance(60s);
  processed(35);
  d.clock().advance(30s);
  processed(45);
  d.clock().advance(30s);
  processed(55);  // the minute after: nothing sampled in between for the minute it crossed
  const json p = bodyOf(d.http().Get("/api/v1/plugins/alpha"));
  ASSERT_TRUE(p["events_per_minute"].is_array()) << p.dump();
  EXPECT_EQ(p["events_per_minute"], json::array({5, 40, 10})) << p.dump();

  // A counter that starts again (a reloaded plugin) is not a negative minute.
  d.clock().advance(60s);
  processed(3);
  const json q = bodyOf(d.http().Get("/api/v1/plugins/alpha"));
  EXPECT_EQ(q["events_per_minute"], json::array({5, 40, 10, 3})) << q.dump();

  // At most 60, the last the current minute.
  for (int i = 0; i < 70; ++i) {
    d.clock().advance(60s);
    processed(3 + static_cast<std::uint64_t>(i + 1) * 2);
  }
  const json r = bodyOf(d.http().Get("/api/v1/plugins/alpha"));
  ASSERT_EQ(r["events_per_minute"].size(), 60U);
  EXPECT_EQ(r["events_per_minute"].back(), 2);
}

TEST(AdminServer, PluginsByNameOrKey) {
  FakeDaemon d;
  const json list = bodyOf(d.http().Get("/api/v1/plugins"));
  ASSERT_EQ(list["plugins"].size(), 2U);
  EXPECT_EQ(list["plugins"][1]["name"], "beta");
  auto byName = d.http().Get("/api/v1/plugins/beta");
  ASSERT_EQ(byName->status, 200);
  EXPECT_EQ(bodyOf(byName)["key"], "/plugins::beta");
  auto byKey = d.http().Get("/api/v1/plugins/%2Fplugins%3A%3Aalpha");
  ASSERT_EQ(byKey->status, 200) << byKey->body;
  EXPECT_EQ(bodyOf(byKey)["name"], "alpha");
  expectError(d.http().Get("/api/v1/plugins/nope"), 404, "no plugin named nope");

  d.editStatus([](auto& s) {
    auto twin = s.plugins[0];
    twin.id.collection = "/other";
    s.plugins.push_back(twin);
  });
  expectError(d.http().Get("/api/v1/plugins/alpha"), 409, "several plugin folders");
  EXPECT_EQ(d.http().Get("/api/v1/plugins/%2Fother%3A%3Aalpha")->status, 200);
}

TEST(AdminServer, EnableDisableReloadGoThroughControl) {
  FakeDaemon d;
  for (const std::string action : {"enable", "disable", "reload"}) {
    auto r = d.http().Post("/api/v1/plugins/alpha/" + action, "", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202) << r->body;
    EXPECT_EQ(bodyOf(r)["action"], action);
  }
  const auto requests = d.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].action, ControlRequest::Action::Enable);
  EXPECT_EQ(requests[1].action, ControlRequest::Action::Disable);
  EXPECT_EQ(requests[2].action, ControlRequest::Action::Reload);
  EXPECT_EQ(requests[1].plugin, "alpha");
  expectError(d.http().Post("/api/v1/plugins/nope/disable", "", "application/json"), 404,
              "no plugin named nope");
  auto byKey = d.http().Post("/api/v1/plugins/%2Fplugins%3A%3Abeta/enable", "", "application/json");
  EXPECT_EQ(byKey->status, 202);
  EXPECT_EQ(d.requests().back().plugin, "/plugins::beta");
}

TEST(AdminServer, CheckpointNeedsAWholeNonNegativeId) {
  FakeDaemon d;
  auto post = [&](const std::string& body) {
    return d.http().Post("/api/v1/plugins/alpha/checkpoint", body, "application/json");
  };
  auto r = post(R"({"id": 42})");
  ASSERT_EQ(r->status, 202) << r->body;
  ASSERT_EQ(d.requests().size(), 1U);
  EXPECT_EQ(d.requests()[0].action, ControlRequest::Action::SetCursor);
  EXPECT_EQ(d.requests()[0].eventId, 42);

  expectError(post("{id: 1"), 400, "not JSON");
  expectError(post("{}"), 400, "needs \"id\"");
  expectError(post("[1]"), 400, "needs \"id\"");
  expectError(post(R"({"id": "12"})"), 400, "whole number");
  expectError(post(R"({"id": 1.5})"), 400, "whole number");
  expectError(post(R"({"id": true})"), 400, "whole number");
  expectError(post(R"({"id": -1})"), 400, "0 or more");
  expectError(post(R"({"id": 99999999999999999999})"), 400, "whole number");
  // 2^64 - 1 fits JSON's unsigned integers but no event id; it is not negative either.
  expectError(post(R"({"id": 18446744073709551615})"), 400, "beyond any event id");
  EXPECT_EQ(d.requests().size(), 1U) << "a refused request reached the engine";
  // The engine's own refusal (beyond the head) comes back with its code.
  expectError(post(R"({"id": 101})"), 400, "beyond the head");
  expectError(d.http().Post("/api/v1/plugins/nope/checkpoint", R"({"id": 1})", "application/json"), 404,
              "no plugin named nope");
}

TEST(AdminServer, FailuresListShowAndReplay) {
  FakeDaemon d;
  const auto t0 = d.clock().now();
  ASSERT_TRUE(d.store().recordFailure(failureOf("alpha", 50, t0 - 2h)));
  ASSERT_TRUE(d.store().recordFailure(failureOf("beta", 60, t0 - 1h)));
  ASSERT_TRUE(d.store().recordFailure(failureOf("alpha", 70, t0)));

  auto all = bodyOf(d.http().Get("/api/v1/failures"));
  ASSERT_EQ(all["failures"].size(), 3U) << all.dump();
  EXPECT_EQ(all["failures"][0]["event_id"], 70);  // newest first
  EXPECT_EQ(all["failures"][0]["key"], "/plugins::alpha");
  EXPECT_EQ(all["failures"][0]["replayable"], true);
  auto alpha = bodyOf(d.http().Get("/api/v1/failures?plugin=alpha"));
  EXPECT_EQ(alpha["failures"].size(), 2U);
  auto recent = bodyOf(d.http().Get("/api/v1/failures?since=2026-12-01T09:30:00Z"));
  ASSERT_EQ(recent["failures"].size(), 1U);
  EXPECT_EQ(recent["failures"][0]["event_id"], 70);
  EXPECT_EQ(bodyOf(d.http().Get("/api/v1/failures?limit=1"))["failures"].size(), 1U);
  expectError(d.http().Get("/api/v1/failures?since=yesterday"), 400, "not a date-time");
  expectError(d.http().Get("/api/v1/failures?limit=0"), 400, "limit=0");
  expectError(d.http().Get("/api/v1/failures?plugin=nope"), 404, "no plugin named nope");

  const std::int64_t id = all["failures"][2]["id"];
  auto shown = d.http().Get("/api/v1/failures/" + std::to_string(id));
  ASSERT_EQ(shown->status, 200);
  const json one = bodyOf(shown);
  EXPECT_EQ(one["event_id"], 50);
  EXPECT_EQ(one["event"]["id"], 50);
  EXPECT_NE(one["error"].get<std::string>().find("Traceback"), std::string::npos);
  expectError(d.http().Get("/api/v1/failures/99999"), 404, "no failure record 99999");
  expectError(d.http().Get("/api/v1/failures/abc"), 400, "not a failure id");

  auto replay = d.http().Post("/api/v1/failures/" + std::to_string(id) + "/replay", "", "application/json");
  ASSERT_EQ(replay->status, 202) << replay->body;
  ASSERT_EQ(d.requests().size(), 1U);
  EXPECT_EQ(d.requests()[0].action, ControlRequest::Action::Replay);
  EXPECT_EQ(d.requests()[0].plugin, "/plugins::alpha");
  EXPECT_EQ(d.requests()[0].failureId, id);
  expectError(d.http().Post("/api/v1/failures/99999/replay", "", "application/json"), 404,
              "no failure record");
  expectError(d.http().Post("/api/v1/failures/1x/replay", "", "application/json"), 400, "not a failure id");
  EXPECT_EQ(d.requests().size(), 1U);
}

TEST(AdminServer, PollWakesTheFetcher) {
  FakeDaemon d;
  auto r = d.http().Post("/api/v1/poll", "", "application/json");
  ASSERT_EQ(r->status, 202);
  EXPECT_EQ(d.polls(), 1);
}

TEST(AdminServer, WrongMethodIs405AndUnknownPathIs404) {
  FakeDaemon d;
  auto r = d.http().Get("/api/v1/poll");
  expectError(r, 405, "GET is not allowed on /api/v1/poll");
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  expectError(d.http().Get("/api/v1/plugins/alpha/disable"), 405, "use POST");
  expectError(d.http().Delete("/api/v1/plugins/alpha"), 405, "use GET");
  expectError(d.http().Post("/api/v1/status", "", "application/json"), 405, "use GET");
  expectError(d.http().Put("/metrics", "", "text/plain"), 405, "use GET");
  expectError(d.http().Get("/api/v2/status"), 404, "no such endpoint");
  EXPECT_TRUE(d.requests().empty());
  EXPECT_EQ(d.polls(), 0);
}

TEST(AdminServer, TheRequestLogLineIsOneLineWhateverThePath) {
  FakeDaemon d("tok");
  // The path is percent-decoded: a %0A in it must not start a forged record in the daemon's log, not
  // even from a client without the token (a 401 is logged as a WARNING).
  expectError(d.http().Post("/api/v1/failures/1%0A2026-12-01 10:00:00,000 - engine - ERROR - forged/replay",
                            "", "application/json"),
              401, "Bearer");
  expectError(d.http().Get("/api/v1/failures/7%0D%0Aforged"), 400, "not a failure id");
  // A path no route takes, line break or not, gets the JSON 404.
  expectError(d.http().Get("/api/v2/x%0Ay"), 404, "no such endpoint");
  for (const auto& record : d.logs().records()) {
    EXPECT_EQ(record.message.find_first_of("\r\n"), std::string::npos) << record.message;
  }
  EXPECT_EQ(d.logs().count("Admin API: POST /api/v1/failures/1\\x0a2026-12-01 10:00:00,000 - engine - ERROR "
                           "- forged/replay 401"),
            1U);
  EXPECT_EQ(d.logs().count("Admin API: GET /api/v1/failures/7\\x0d\\x0aforged 400"), 1U);
  EXPECT_TRUE(d.requests().empty());
}

TEST(AdminServer, ServesTheStatusPage) {
  FakeDaemon d;
  auto r = d.http().Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("<html"), std::string::npos);
}

TEST(AdminToken, LoopbackWithoutATokenAllowsChanges) {
  FakeDaemon d;
  EXPECT_EQ(d.http().Post("/api/v1/plugins/alpha/disable", "", "application/json")->status, 202);
}

TEST(AdminToken, LoopbackWithATokenGuardsChangesOnly) {
  FakeDaemon d("s3cret-token");
  EXPECT_EQ(d.http().Get("/api/v1/status")->status, 200);
  EXPECT_EQ(d.http().Get("/metrics")->status, 200);
  auto missing = d.http().Post("/api/v1/plugins/alpha/disable", "", "application/json");
  expectError(missing, 401, "Authorization: Bearer");
  EXPECT_EQ(missing->get_header_value("WWW-Authenticate"), "Bearer realm=\"sgeventd\"");
  expectError(d.http().Post("/api/v1/plugins/alpha/disable",
                            httplib::Headers{{"Authorization", "Bearer wrong"}}, "", "application/json"),
              401, "the token is wrong");
  expectError(
      d.http().Post("/api/v1/plugins/alpha/disable", bearer("s3cret-token-and-more"), "", "application/json"),
      401, "the token is wrong");
  expectError(
      d.http().Post("/api/v1/plugins/alpha/disable",
                    httplib::Headers{{"Authorization", "Basic czNjcmV0LXRva2Vu"}}, "", "application/json"),
      401, "not \"Bearer <token>\"");
  expectError(d.http().Post("/api/v1/poll", "", "application/json"), 401, "Bearer");
  // A refused call is not applied, even a well-formed one.
  EXPECT_TRUE(d.requests().empty());
  EXPECT_EQ(d.polls(), 0);
  auto ok = d.http().Post("/api/v1/plugins/alpha/disable", bearer("s3cret-token"), "", "application/json");
  EXPECT_EQ(ok->status, 202);
  EXPECT_EQ(d.requests().size(), 1U);
  // The token is never written to the log, not even in a refused call.
  for (const auto& record : d.logs().records()) {
    EXPECT_EQ(record.message.find("s3cret"), std::string::npos) << record.message;
  }
  EXPECT_GE(d.logs().count("Admin API: POST /api/v1/plugins/alpha/disable 401"), 1U);
}

TEST(AdminToken, BeyondLoopbackEveryCallNeedsTheToken) {
  FakeDaemon d("s3cret-token", /*loopback=*/false);
  for (const char* path :
       {"/api/v1/status", "/api/v1/plugins", "/metrics", "/healthz", "/readyz", "/api/v1/failures"}) {
    expectError(d.http().Get(path), 401, "beyond loopback");
    EXPECT_EQ(d.http().Get(path, bearer("s3cret-token"))->status / 100, 2) << path;
    expectError(d.http().Get(path, bearer("nope")), 401, "wrong");
  }
  // The page itself holds no data and asks for the token when a call answers 401.
  EXPECT_EQ(d.http().Get("/")->status, 200);
}

TEST(AdminServer, ConcurrentRequestsWhileStatusAndMetricsChange) {
  FakeDaemon d("tok");
  std::atomic<bool> stop{false};
  auto processed = d.metrics().counter("sgeventd_plugin_events_processed_total", "Events a plugin finished.",
                                       {{"plugin", "alpha"}});
  std::thread writer([&] {
    std::uint64_t n = 0;
    while (!stop) {
      processed->inc();
      d.editStatus([&](auto& s) {
        s.plugins[0].processed = ++n;
        s.plugins[0].cursor = s.fetcher.head = 100 + static_cast<std::int64_t>(n);
      });
      d.server().sampleRates();
    }
  });
  std::atomic<int> bad{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", d.server().port());
      for (int i = 0; i < 40; ++i) {
        if (t % 3 == 0) {
          auto r = c.Get("/metrics");
          if (!r || r->status != 200 ||
              r->body.find("sgeventd_plugin_events_processed_total") == std::string::npos) {
            ++bad;
          }
        } else if (t % 3 == 1) {
          auto r = c.Get("/api/v1/status");
          if (!r || r->status != 200 || !bodyOf(r)["plugins"].is_array()) {
            ++bad;
          }
        } else {
          auto r = c.Post(i % 2 ? "/api/v1/plugins/alpha/disable" : "/api/v1/plugins/alpha/enable",
                          bearer("tok"), "", "application/json");
          if (!r || r->status != 202) {
            ++bad;
          }
        }
      }
    });
  }
  for (auto& c : clients) {
    c.join();
  }
  stop = true;
  writer.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(d.requests().size(), 80U);
}
