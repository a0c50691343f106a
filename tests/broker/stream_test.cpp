// ensureStream and recoverPosition against a nats-server of the test's own.
#include "broker/stream.h"

#include <gtest/gtest.h>

#include "nats_server.h"

namespace sgeventd::broker {
namespace {

struct StreamFixture : ::testing::Test {
  testing::NatsServer server;
  std::unique_ptr<Connection> connection;
  void SetUp() override {
    ASSERT_TRUE(server.start()) << "nats-server did not start; its log: " << server.log();
    auto c = Connection::connect(server.options());
    ASSERT_TRUE(c) << c.error().message;
    connection = std::move(*c);
  }
  StreamInfoPtr info(const std::string& name) {
    jsStreamInfo* raw = nullptr;
    EXPECT_EQ(js_GetStreamInfo(&raw, connection->jetStream(), name.c_str(), nullptr, nullptr), NATS_OK);
    return StreamInfoPtr(raw);
  }
};

TEST_F(StreamFixture, CreatesTheSiteStreamAndUpdatesItIdempotently) {
  const StreamSettings settings{.name = "SGEVENTS", .site = "studio"};
  ASSERT_TRUE(ensureStream(*connection, settings));
  auto created = info("SGEVENTS");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->Config->SubjectsLen, 1);
  EXPECT_STREQ(created->Config->Subjects[0], "sgevents.studio.>");
  EXPECT_EQ(created->Config->Storage, js_FileStorage);
  EXPECT_EQ(created->Config->Replicas, 1);
  EXPECT_EQ(created->Config->Duplicates, 120LL * 1000000000LL);

  auto again = ensureStream(*connection, settings);
  EXPECT_TRUE(again) << again.error().message;
  const StreamSettings shorter{
      .name = "SGEVENTS", .site = "studio", .duplicateWindow = std::chrono::seconds(60)};
  ASSERT_TRUE(ensureStream(*connection, shorter));
  EXPECT_EQ(info("SGEVENTS")->Config->Duplicates, 60LL * 1000000000LL);
}

TEST_F(StreamFixture, AStreamOfAnotherSiteIsNotTakenOver) {
  ASSERT_TRUE(ensureStream(*connection, StreamSettings{.name = "SGEVENTS", .site = "studio"}));
  auto other = ensureStream(*connection, StreamSettings{.name = "SGEVENTS", .site = "other"});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().message,
            "the stream SGEVENTS holds sgevents.studio.>, not sgevents.other.> (another site's stream? set "
            "[broker] stream)");
  EXPECT_TRUE(ensureStream(*connection, StreamSettings{.name = "OTHER_EVENTS", .site = "other"}));
}

TEST_F(StreamFixture, ThreeReplicasOnOneServerIsAnError) {
  auto r3 = ensureStream(*connection, StreamSettings{.name = "SGEVENTS", .site = "studio", .replicas = 3});
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.error().message.find("cannot create the stream SGEVENTS"), std::string::npos)
      << r3.error().message;
}

TEST_F(StreamFixture, RecoverPositionOfAnEmptyStreamIsNone) {
  ASSERT_TRUE(ensureStream(*connection, StreamSettings{.name = "SGEVENTS", .site = "studio"}));
  auto position = recoverPosition(*connection, "SGEVENTS", "studio");
  ASSERT_TRUE(position) << position.error().message;
  EXPECT_FALSE(position->has_value());
  EXPECT_FALSE(recoverPosition(*connection, "MISSING", "studio"));
}

}  // namespace
}  // namespace sgeventd::broker
