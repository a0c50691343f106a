// The worker protocol's messages: each survives a round trip, and a wrong message is an error that names
// what is wrong.
#include "worker/protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace sgeventd;
using worker::decode;
using worker::encode;

namespace {

core::EventPtr event(std::int64_t id) {
  auto e = std::make_shared<core::Event>();
  e->id = id;
  e->eventType = "Shotgun_Task_Change";
  e->attributeName = "sg_status_list";
  e->entity = core::EntityRef{"Task", 7, "Anim"};
  e->json = nlohmann::json{{"type", "EventLogEntry"},
                           {"id", id},
                           {"event_type", "Shotgun_Task_Change"},
                           {"attribute_name", "sg_status_list"},
                           {"entity", {{"type", "Task"}, {"id", 7}, {"name", "Anim"}}},
                           {"meta", {{"new_value", "ip"}}},
                           {"created_at", "2026-12-02T10:00:00Z"}}
                .dump();
  return e;
}

template <class T>
T roundTrip(const T& message) {
  auto decoded = decode(encode(message));
  EXPECT_TRUE(decoded) << (decoded ? "" : decoded.error().message);
  EXPECT_TRUE(std::holds_alternative<T>(*decoded));
  return std::get<T>(*decoded);
}

}  // namespace

TEST(WorkerProtocol, InvokeCarriesTheSiteRecordsUnchanged) {
  auto in = worker::Invoke{9, 3, 1, {event(41), event(42)}};
  auto out = roundTrip(in);
  EXPECT_EQ(out.request, 9u);
  EXPECT_EQ(out.handle, 3u);
  EXPECT_EQ(out.callback, 1u);
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[1]->id, 42);
  EXPECT_EQ(out.events[1]->eventType, "Shotgun_Task_Change");
  ASSERT_TRUE(out.events[1]->entity);
  EXPECT_EQ(out.events[1]->entity->name, "Anim");
  EXPECT_EQ(out.events[1]->metaJson, R"({"new_value":"ip"})");
  // Key order is the site's: Python plugins iterate the event dict in that order.
  EXPECT_EQ(out.events[1]->json.substr(0, 30), event(42)->json.substr(0, 30));
}

TEST(WorkerProtocol, LoadedKeepsCallbacksMatchAndEmails) {
  core::MatchSpec spec;
  spec.matchAll = false;
  spec.byEventType["Shotgun_Task_Change"] = core::MatchAttrs::list({"sg_status_list"}, 1);
  spec.byEventType["Shotgun_Note_New"] = core::MatchAttrs::any();
  spec.byEventType["*"] = core::MatchAttrs::substring("status");
  plugins::EmailSetting emails{plugins::EmailSetting::Mode::Addresses, {"a@studio.com", "b@studio.com"}};
  auto out =
      roundTrip(worker::Loaded{5, {{"cb", spec, false}, {"all", core::MatchSpec::all(), true}}, emails});
  ASSERT_EQ(out.callbacks.size(), 2u);
  EXPECT_EQ(out.callbacks[0].name, "cb");
  EXPECT_FALSE(out.callbacks[0].stopOnError);
  EXPECT_FALSE(out.callbacks[0].match.matchAll);
  const auto& list = out.callbacks[0].match.byEventType.at("Shotgun_Task_Change");
  EXPECT_EQ(list.members, std::vector<std::string>{"sg_status_list"});
  EXPECT_EQ(list.nonStringMembers, 1u);
  EXPECT_EQ(out.callbacks[0].match.byEventType.at("*").text, "status");
  EXPECT_EQ(out.callbacks[0].match.byEventType.at("Shotgun_Note_New").kind, core::MatchAttrs::Kind::Any);
  EXPECT_TRUE(out.callbacks[1].match.matchAll);
  ASSERT_TRUE(out.emails);
  EXPECT_EQ(out.emails->mode, plugins::EmailSetting::Mode::Addresses);
  EXPECT_EQ(out.emails->addresses.size(), 2u);
  EXPECT_FALSE(roundTrip(worker::Loaded{6, {}, std::nullopt}).emails);
}

TEST(WorkerProtocol, ResultsLogsAndTheRest) {
  auto result = roundTrip(
      worker::Result{4, 42, plugins::InvokeResult::failure(plugins::InvokeStatus::Retry, "HTTP 503"), false});
  EXPECT_EQ(result.eventId, 42);
  EXPECT_EQ(result.result.status, plugins::InvokeStatus::Retry);
  EXPECT_EQ(result.result.message, "HTTP 503");
  EXPECT_FALSE(result.last);
  auto log =
      roundTrip(worker::LogRecord{"plugin.a.cb", core::LogLevel::Error, "boom\n\xff", "/p/a.py", "cb", 12});
  EXPECT_EQ(log.logger, "plugin.a.cb");
  EXPECT_EQ(log.level, core::LogLevel::Error);
  EXPECT_EQ(log.line, 12);
  EXPECT_EQ(log.message.substr(0, 5), "boom\n") << "an invalid UTF-8 byte is replaced, not a failure";
  auto load = roundTrip(worker::Load{2, plugins::PluginId{"plugins", "a", "/srv/plugins/a.py"}});
  EXPECT_EQ(load.id.path, "/srv/plugins/a.py");
  EXPECT_EQ(roundTrip(worker::LoadFailed{2, 3, "no registerCallbacks"}).kind, 3);
  EXPECT_EQ(roundTrip(worker::Hello{worker::kProtocolVersion, 77}).pid, 77);
  EXPECT_EQ(roundTrip(worker::SetLevel{"plugin.a", core::LogLevel::Debug}).level, core::LogLevel::Debug);
  EXPECT_EQ(roundTrip(worker::Unload{8}).handle, 8u);
  roundTrip(worker::Stop{});
  auto run = roundTrip(worker::Run{11, 2, {event(5), event(6)}});
  EXPECT_EQ(run.request, 11u);
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_EQ(run.events[0]->id, 5);
  EXPECT_FALSE(roundTrip(worker::RunEnd{11, false}).completed);
  EXPECT_EQ(roundTrip(worker::Cancel{11}).request, 11u);
  EXPECT_EQ(roundTrip(worker::Result{11, 6, plugins::InvokeResult::success(), false, 3}).callback, 3u);
}

TEST(WorkerProtocol, WrongMessagesAreErrorsThatSayWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {R"({"nop":1})", "lacks \"op\""},
      {R"({"op":"dance"})", "unknown op \"dance\""},
      {R"({"op":"result","request":1,"event":2,"status":"meh","message":"","last":true,"callback":0})",
       "unknown status"},
      {R"({"op":"result","request":"one","event":2,"status":"ok","message":"","last":true})",
       "\"request\" of the wrong type"},
      {R"({"op":"invoke","request":1,"handle":1,"callback":0})", "no \"events\" list"},
      {R"({"op":"invoke","request":1,"handle":1,"callback":0,"events":[{"id":"x"}]})", ""},
      {R"({"op":"log","logger":"a","level":1000,"message":"","path":"","function":"","line":0})",
       "level 1000"},
      {R"({"op":"loaded","handle":1,"callbacks":{}})", "not a list"},
  };
  for (const auto& [text, why] : cases) {
    auto decoded = decode(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_NE(decoded.error().message.find(why), std::string::npos)
        << text << ": " << decoded.error().message;
  }
}
