#include "core/match_events.h"

#include <gtest/gtest.h>

using sgeventd::core::MatchAttrs;
using sgeventd::core::matchesEvent;
using sgeventd::core::MatchSpec;

namespace {

MatchSpec spec(std::map<std::string, MatchAttrs> byType) {
  MatchSpec s;
  s.matchAll = false;
  s.byEventType = std::move(byType);
  return s;
}

const std::optional<std::string> kNone;

}  // namespace

TEST(MatchEvents, FalsyMatchesEverything) {
  EXPECT_TRUE(matchesEvent(MatchSpec::all(), "Shotgun_Shot_New", kNone));
  EXPECT_TRUE(matchesEvent(MatchSpec::all(), "Anything", std::string("code")));
}

TEST(MatchEvents, UnknownEventTypeDoesNotMatch) {
  auto s = spec({{"Shotgun_Shot_Change", MatchAttrs::any()}});
  EXPECT_FALSE(matchesEvent(s, "Shotgun_Task_Change", std::string("code")));
  EXPECT_TRUE(matchesEvent(s, "Shotgun_Shot_Change", kNone));
}

TEST(MatchEvents, StarKeyShadowsOtherKeys) {
  auto s = spec({{"*", MatchAttrs::list({"code"})}, {"Shotgun_Note_New", MatchAttrs::any()}});
  EXPECT_FALSE(matchesEvent(s, "Shotgun_Note_New", kNone));
  EXPECT_TRUE(matchesEvent(s, "Shotgun_Shot_Change", std::string("code")));
  EXPECT_FALSE(matchesEvent(s, "Shotgun_Shot_Change", std::string("sg_status_list")));
}

TEST(MatchEvents, StringValueIsSubstringTest) {
  auto s = spec({{"Shotgun_Task_Change", MatchAttrs::substring("sg_status_list")}});
  EXPECT_TRUE(matchesEvent(s, "Shotgun_Task_Change", std::string("sg_status_list")));
  EXPECT_TRUE(matchesEvent(s, "Shotgun_Task_Change", std::string("sg_status")));
  EXPECT_TRUE(matchesEvent(s, "Shotgun_Task_Change", std::string("status_list")));
  EXPECT_TRUE(matchesEvent(s, "Shotgun_Task_Change", std::string("t")));
  EXPECT_FALSE(matchesEvent(s, "Shotgun_Task_Change", std::string("content")));
  EXPECT_FALSE(matchesEvent(s, "Shotgun_Task_Change", kNone));
}

TEST(MatchEvents, ListValueIsMembership) {
  auto s = spec({{"Shotgun_Project_Change", MatchAttrs::list({"id"}, 1)}});
  EXPECT_TRUE(matchesEvent(s, "Shotgun_Project_Change", std::string("id")));
  EXPECT_FALSE(matchesEvent(s, "Shotgun_Project_Change", std::string("i")));
  EXPECT_FALSE(matchesEvent(s, "Shotgun_Project_Change", kNone));
}

TEST(MatchEvents, StarInsideValueMatchesAnyAttributeIncludingNone) {
  EXPECT_TRUE(matchesEvent(spec({{"Shotgun_Note_New", MatchAttrs::list({"*"})}}), "Shotgun_Note_New", kNone));
  // A string holding "*" passes Python's `"*" in attrs` substring test too.
  EXPECT_TRUE(matchesEvent(spec({{"E", MatchAttrs::substring("a*b")}}), "E", kNone));
}

TEST(MatchEvents, EmptyListAndEmptyAttributeNeverMatch) {
  EXPECT_FALSE(matchesEvent(spec({{"E", MatchAttrs::list({})}}), "E", std::string("code")));
  EXPECT_FALSE(matchesEvent(spec({{"E", MatchAttrs::substring("code")}}), "E", std::string("")));
}
