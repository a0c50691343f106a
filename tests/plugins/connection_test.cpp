// Native plugins talking to ShotGrid through their own shotgrid::Client, against a small api3 site
// served on 127.0.0.1 (port 0): the status_rollup example, use_session_uuid, and connection errors.
#include <httplib.h>
#include <netinet/in.h>
#include <sgeventd/plugin.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "plugins/native/native_loader.h"
#include "shotgrid/client.h"
#include "test_support.h"

namespace sgeventd::plugins {
namespace {

using Json = nlohmann::json;
using testing::idFor;
using testing::makeEvent;
using testing::TestHost;

// Entities by type, `read` with "is" conditions, `update`; every request is recorded.
class FakeSite {
 public:
  FakeSite() {
    server_.Post("/api3/json", [this](const httplib::Request& request, httplib::Response& response) {
      response.set_content(handle(Json::parse(request.body)).dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port already listens: early connections wait in the backlog until the loop runs.
  }
  ~FakeSite() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void add(Json entity) {
    std::lock_guard lock(mutex_);
    entities_.push_back(std::move(entity));
  }
  std::vector<Json> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<Json> requestsFor(const std::string& method) const {
    std::vector<Json> out;
    for (const auto& request : requests()) {
      if (request["method_name"] == method) {
        out.push_back(request);
      }
    }
    return out;
  }

 private:
  static bool sameValue(const Json& actual, const Json& wanted) {
    if (wanted.is_object() && actual.is_object()) {
      return actual.value("type", "") == wanted.value("type", "") &&
             actual.value("id", -1) == wanted.value("id", -2);
    }
    return actual == wanted;
  }
  bool matches(const Json& entity, const Json& filters) const {
    for (const auto& condition : filters["conditions"]) {
      const auto field = condition["path"].get<std::string>();
      if (condition["relation"] != "is" || !entity.contains(field) ||
          !sameValue(entity[field], condition["values"][0])) {
        return false;
      }
    }
    return true;
  }
  Json handle(const Json& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    const auto method = request["method_name"].get<std::string>();
    const Json& params = request["params"][1];
    if (method == "read") {
      Json found = Json::array();
      for (const auto& entity : entities_) {
        if (entity["type"] == params["type"] && matches(entity, params["filters"])) {
          found.push_back(entity);
        }
      }
      const auto count = found.size();
      return {{"results",
               {{"entities", found},
                {"paging_info", {{"entity_count", count}, {"has_next_page", false}, {"current_page", 1}}}}}};
    }
    if (method == "update") {
      for (auto& entity : entities_) {
        if (entity["type"] == params["type"] && entity["id"] == params["id"]) {
          for (const auto& field : params["fields"]) {
            entity[field["field_name"].get<std::string>()] = field["value"];
          }
          return {{"results", entity}};
        }
      }
    }
    return {{"exception", true}, {"error_code", 104}, {"message", "unsupported " + method}};
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Json> entities_;
  std::vector<Json> requests_;
};

ClientFactory factoryFor(const std::string& url, std::vector<std::string>* scripts = nullptr) {
  return [url, scripts](const std::string& name, const std::string& key) {
    if (scripts != nullptr) {
      scripts->push_back(name);
    }
    shotgrid::ClientOptions options;
    options.server = url;
    options.auth.scriptName = name;
    options.auth.scriptKey = key;
    options.retry.maxAttempts = 1;
    options.connectTimeout = std::chrono::milliseconds(2000);
    options.totalTimeout = std::chrono::milliseconds(5000);
    return std::make_unique<shotgrid::Client>(options);
  };
}

core::Event taskFinal(std::int64_t eventId, std::int64_t taskId) {
  auto event = makeEvent(eventId);
  event.entity = core::EntityRef{"Task", taskId, "task"};
  event.metaJson = R"({"type":"attribute_change","old_value":"ip","new_value":"fin"})";
  return event;
}

class StatusRollupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.add({{"type", "Shot"}, {"id", 5}, {"sg_status_list", "ip"}});
    site_.add(
        {{"type", "Task"}, {"id", 11}, {"sg_status_list", "fin"}, {"entity", {{"type", "Shot"}, {"id", 5}}}});
    HostContext context = host_.context();
    context.makeClient = factoryFor(site_.url(), &scripts_);
    auto loaded = loader_.load(idFor(kStatusRollup), context);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    plugin_ = std::move(*loaded);
  }

  static constexpr const char* kStatusRollup = SGEVENTD_BUILD_DIR "/examples/plugins/native/status_rollup.so";
  TestHost host_;
  native::NativeLoader loader_;
  FakeSite site_;
  std::vector<std::string> scripts_;
  PluginPtr plugin_;
};

TEST_F(StatusRollupTest, SetsTheEntityFinalWhenAllItsTasksAre) {
  site_.add(
      {{"type", "Task"}, {"id", 12}, {"sg_status_list", "fin"}, {"entity", {{"type", "Shot"}, {"id", 5}}}});
  EXPECT_EQ(scripts_, std::vector<std::string>{"status_rollup"});
  const auto& match = plugin_->callbacks().at(0).match;
  EXPECT_EQ(match.byEventType.at("Shotgun_Task_Change").kind, core::MatchAttrs::Kind::Members);
  EXPECT_EQ(match.byEventType.at("Shotgun_Task_Change").members, std::vector<std::string>{"sg_status_list"});
  auto outcome = plugin_->invoke(0, taskFinal(100, 12), {});
  ASSERT_TRUE(outcome.ok()) << outcome.message;
  auto updates = site_.requestsFor("update");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]["params"][1]["type"], "Shot");
  EXPECT_EQ(updates[0]["params"][1]["id"], 5);
  EXPECT_EQ(updates[0]["params"][1]["fields"][0], (Json{{"field_name", "sg_status_list"}, {"value", "fin"}}));
  EXPECT_EQ(updates[0]["params"][0]["script_name"], "status_rollup");
  EXPECT_EQ(host_.count("set its sg_status_list to fin"), 1u);

  ASSERT_TRUE(plugin_->invoke(0, taskFinal(101, 12), {}).ok());  // already final: no second write
  EXPECT_EQ(site_.requestsFor("update").size(), 1u);
}

TEST_F(StatusRollupTest, LeavesTheEntityAloneWhileATaskIsOpen) {
  site_.add(
      {{"type", "Task"}, {"id", 12}, {"sg_status_list", "ip"}, {"entity", {{"type", "Shot"}, {"id", 5}}}});
  ASSERT_TRUE(plugin_->invoke(0, taskFinal(100, 11), {}).ok());
  EXPECT_TRUE(site_.requestsFor("update").empty());
  EXPECT_FALSE(site_.requestsFor("read").empty());
}

TEST(NativeConnection, UseSessionUuidSendsTheEventsUuid) {
  TestHost host;
  FakeSite site;
  native::NativeLoader loader;
  HostContext context = host.context();
  context.makeClient = factoryFor(site.url());
  context.useSessionUuid = true;
  auto plugin = loader.load(idFor(FIXTURE_GOOD), context);
  ASSERT_TRUE(plugin.has_value()) << plugin.error().message;
  auto event = makeEvent(9, "Test_Connection", std::nullopt);
  event.sessionUuid = "uuid-of-the-browser-session";
  auto outcome = (*plugin)->invoke(2, event, {});
  ASSERT_TRUE(outcome.ok()) << outcome.message;
  auto reads = site.requestsFor("read");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0]["params"][0]["session_uuid"], "uuid-of-the-browser-session");
  EXPECT_EQ(host.count("find ok=1 value=[]"), 1u);
}

// A URL on 127.0.0.1 where nothing listens.
std::string deadUrl() {
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(probe);  // nothing listens on this port any more
  return "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

// Answers every api3 request with one HTTP status.
class StatusSite {
 public:
  explicit StatusSite(int status) {
    server_.Post("/api3/json", [status](const httplib::Request&, httplib::Response& response) {
      response.status = status;
      response.set_content("not now", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~StatusSite() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

PluginPtr loadWith(native::NativeLoader& loader, TestHost& host, const char* fixture,
                   const std::string& url) {
  HostContext context = host.context();
  context.makeClient = factoryFor(url);
  auto plugin = loader.load(idFor(fixture), context);
  EXPECT_TRUE(plugin.has_value()) << (plugin ? "" : plugin.error().message);
  return plugin ? *plugin : nullptr;
}

TEST(NativeConnection, ConnectionFailureIsATransientFailureOfTheCallback) {
  TestHost host;
  native::NativeLoader loader;
  auto plugin = loadWith(loader, host, FIXTURE_GOOD, deadUrl());
  ASSERT_NE(plugin, nullptr);
  auto outcome = plugin->invoke(2, makeEvent(1, "Test_Connection", std::nullopt), {});
  EXPECT_EQ(outcome.status, InvokeStatus::Retry);  // the uncaught transient CallError of `.value()`
  EXPECT_FALSE(outcome.message.empty());
  EXPECT_EQ(host.count("find ok=0"), 1u);
}

TEST(NativeConnection, HostReportsTransientFailuresAsRetryToVersionTwoPluginsOnly) {
  StatusSite busy(503);
  StatusSite limited(429);
  StatusSite missing(404);
  const std::string dead = deadUrl();
  struct Case {
    std::string url;
    int v2Status;  // what find() returns to a version-2 plugin; version 1 always gets SGEVENTD_ERROR
  };
  const std::vector<Case> cases = {{busy.url(), SGEVENTD_RETRY},
                                   {limited.url(), SGEVENTD_RETRY},
                                   {dead, SGEVENTD_RETRY},
                                   {missing.url(), SGEVENTD_ERROR}};
  for (const auto& c : cases) {
    TestHost host;
    native::NativeLoader loader;
    auto v2 = loadWith(loader, host, FIXTURE_STATUS, c.url);
    auto v1 = loadWith(loader, host, FIXTURE_STATUS_V1, c.url);
    ASSERT_TRUE(v2 && v1);
    const auto current = v2->invoke(1, makeEvent(1), {});
    EXPECT_EQ(current.status, c.v2Status == SGEVENTD_RETRY ? InvokeStatus::Retry : InvokeStatus::Error)
        << c.url << ": " << current.message;
    EXPECT_EQ(host.count("find status=" + std::to_string(c.v2Status)), 1u) << c.url;
    const auto old = v1->invoke(1, makeEvent(2), {});
    EXPECT_EQ(old.status, InvokeStatus::Error) << c.url;  // what a version-1 plugin always saw
    EXPECT_EQ(host.count("find status=" + std::to_string(SGEVENTD_ERROR)),
              c.v2Status == SGEVENTD_ERROR ? 2u : 1u)
        << c.url;
  }
}

TEST(NativeConnection, CppLayerRetriesTransientCallErrorsAndFailsOthers) {
  StatusSite busy(502);
  StatusSite missing(404);
  TestHost host;
  native::NativeLoader loader;
  auto onBusy = loadWith(loader, host, FIXTURE_RETRY, busy.url());
  auto onMissing = loadWith(loader, host, FIXTURE_RETRY, missing.url());
  ASSERT_TRUE(onBusy && onMissing);
  const auto transient = onBusy->invoke(1, makeEvent(1), {});
  EXPECT_EQ(transient.status, InvokeStatus::Retry) << transient.message;
  EXPECT_NE(transient.message.find("502"), std::string::npos) << transient.message;
  EXPECT_EQ(host.count("read ok=0 transient=1"), 1u);
  const auto permanent = onMissing->invoke(1, makeEvent(2), {});
  EXPECT_EQ(permanent.status, InvokeStatus::Error) << permanent.message;
  EXPECT_EQ(host.count("read ok=0 transient=0"), 1u);
}

}  // namespace
}  // namespace sgeventd::plugins
