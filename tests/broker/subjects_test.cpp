#include "broker/subjects.h"

#include <gtest/gtest.h>

namespace sgeventd::broker {
namespace {

TEST(Subjects, TokensHoldNoSeparatorWildcardOrSpace) {
  EXPECT_EQ(subjectToken("Shot"), "Shot");
  EXPECT_EQ(subjectToken("Custom Entity.01"), "Custom_Entity_01");
  EXPECT_EQ(subjectToken("a*b>c\td"), "a_b_c_d");
  EXPECT_EQ(subjectToken(""), "none");
}

TEST(Subjects, EventSubjectAndSiteSubjects) {
  core::Event event;
  event.id = 7;
  event.eventType = "Shotgun_Shot_Change";
  EXPECT_EQ(eventSubject("studio", event), "sgevents.studio.none.Shotgun_Shot_Change");
  event.entity = core::EntityRef{"Shot", 12, "sh010"};
  EXPECT_EQ(eventSubject("studio", event), "sgevents.studio.Shot.Shotgun_Shot_Change");
  EXPECT_EQ(siteSubjects("studio"), "sgevents.studio.>");
}

TEST(Subjects, MessageIdsRoundTrip) {
  EXPECT_EQ(messageId("studio", 42), "studio:42");
  EXPECT_EQ(eventIdOf("studio", "studio:42"), 42);
  EXPECT_EQ(eventIdOf("studio", "other:42"), std::nullopt);
  EXPECT_EQ(eventIdOf("studio", "studio2:42"), std::nullopt);
  EXPECT_EQ(eventIdOf("studio", "studio:"), std::nullopt);
  EXPECT_EQ(eventIdOf("studio", "studio:4x"), std::nullopt);
  EXPECT_EQ(eventIdOf("studio", "studio:-4"), std::nullopt);
}

}  // namespace
}  // namespace sgeventd::broker
