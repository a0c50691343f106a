#include "plugins/native/match_spec_json.h"

#include <gtest/gtest.h>

using sgeventd::core::MatchAttrs;
using sgeventd::core::matchesEvent;
using sgeventd::plugins::native::matchSpecFromJson;

namespace {

const std::optional<std::string> kNone;

sgeventd::core::MatchSpec parse(std::string_view text) {
  auto spec = matchSpecFromJson(text);
  EXPECT_TRUE(spec.has_value()) << (spec ? "" : spec.error().message);
  return spec ? *spec : sgeventd::core::MatchSpec{};
}

}  // namespace

TEST(MatchSpecJson, NullEmptyAndEmptyObjectMatchAll) {
  for (const char* text : {"", "null", "{}", "  "}) {
    auto spec = parse(text);
    EXPECT_TRUE(spec.matchAll) << text;
    EXPECT_TRUE(matchesEvent(spec, "Anything", kNone));
  }
}

TEST(MatchSpecJson, StringValueIsSubstring) {
  auto spec = parse(R"({"Shotgun_Task_Change": "sg_status_list"})");
  ASSERT_EQ(spec.byEventType.at("Shotgun_Task_Change").kind, MatchAttrs::Kind::Substring);
  EXPECT_TRUE(matchesEvent(spec, "Shotgun_Task_Change", std::string("status_list")));
  EXPECT_TRUE(matchesEvent(spec, "Shotgun_Task_Change", std::string("t")));
  EXPECT_FALSE(matchesEvent(spec, "Shotgun_Task_Change", std::string("content")));
  EXPECT_FALSE(matchesEvent(spec, "Shotgun_Task_Change", kNone));
}

TEST(MatchSpecJson, ListIsMembershipAndCountsNonStrings) {
  auto spec = parse(R"({"Shotgun_Project_Change": ["id", 1, null]})");
  const auto& attrs = spec.byEventType.at("Shotgun_Project_Change");
  EXPECT_EQ(attrs.kind, MatchAttrs::Kind::Members);
  EXPECT_EQ(attrs.members, std::vector<std::string>{"id"});
  EXPECT_EQ(attrs.nonStringMembers, 2u);
  EXPECT_TRUE(matchesEvent(spec, "Shotgun_Project_Change", std::string("id")));
  EXPECT_FALSE(matchesEvent(spec, "Shotgun_Project_Change", std::string("i")));
}

TEST(MatchSpecJson, EmptyListNeverMatches) {
  auto spec = parse(R"({"Shotgun_Shot_Change": []})");
  EXPECT_FALSE(spec.matchAll);
  EXPECT_FALSE(matchesEvent(spec, "Shotgun_Shot_Change", std::string("code")));
}

TEST(MatchSpecJson, StarKeyAndStarValue) {
  auto starKey = parse(R"({"*": ["code"], "Shotgun_Note_New": null})");
  EXPECT_FALSE(matchesEvent(starKey, "Shotgun_Note_New", kNone));
  EXPECT_TRUE(matchesEvent(starKey, "Shotgun_Shot_Change", std::string("code")));
  auto starValue = parse(R"({"Shotgun_Note_New": ["*"]})");
  EXPECT_TRUE(matchesEvent(starValue, "Shotgun_Note_New", kNone));
}

TEST(MatchSpecJson, NullValueMatchesAnyAttributeOfThatType) {
  auto spec = parse(R"({"Shotgun_Shot_New": null})");
  EXPECT_EQ(spec.byEventType.at("Shotgun_Shot_New").kind, MatchAttrs::Kind::Any);
  EXPECT_TRUE(matchesEvent(spec, "Shotgun_Shot_New", kNone));
  EXPECT_FALSE(matchesEvent(spec, "Shotgun_Shot_Change", kNone));
}

TEST(MatchSpecJson, ObjectValueActsAsItsKeys) {
  auto spec = parse(R"({"Shotgun_Shot_Change": {"code": 1}})");
  EXPECT_TRUE(matchesEvent(spec, "Shotgun_Shot_Change", std::string("code")));
  EXPECT_FALSE(matchesEvent(spec, "Shotgun_Shot_Change", std::string("cod")));
}

TEST(MatchSpecJson, NonObjectIsAnError) {
  for (const char* text : {R"(["Shotgun_Task_Change"])", "\"Shotgun_Task_Change\"", "5", "true"}) {
    auto spec = matchSpecFromJson(std::string_view(text));
    ASSERT_FALSE(spec.has_value()) << text;
    EXPECT_NE(spec.error().message.find("must be a JSON object"), std::string::npos) << spec.error().message;
  }
}

TEST(MatchSpecJson, BadValuesAndBadJsonAreErrors) {
  EXPECT_FALSE(matchSpecFromJson(std::string_view(R"({"Shotgun_Task_Change": 5})")).has_value());
  EXPECT_FALSE(matchSpecFromJson(std::string_view(R"({"Shotgun_Task_Change": true})")).has_value());
  auto broken = matchSpecFromJson(std::string_view("{not json"));
  ASSERT_FALSE(broken.has_value());
  EXPECT_NE(broken.error().message.find("not valid JSON"), std::string::npos);
}
