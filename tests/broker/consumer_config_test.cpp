// A plugin's consumer: its name, the filter subject from matchEvents, and its creation, update and
// re-creation on a real server.
#include "broker/consumer_config.h"

#include <gtest/gtest.h>

#include "broker/publisher.h"
#include "broker/stream.h"
#include "nats_server.h"
#include "stream_reader.h"

namespace sgeventd::broker {
namespace {

using namespace std::chrono_literals;

core::MatchSpec only(std::map<std::string, core::MatchAttrs> types) {
  core::MatchSpec spec;
  spec.matchAll = false;
  spec.byEventType = std::move(types);
  return spec;
}

TEST(ConsumerName, KeepsWhatADurableNameMayHold) {
  EXPECT_EQ(consumerName("logArgs"), "sgeventd-logArgs");
  EXPECT_EQ(consumerName("my.plugin v2*"), "sgeventd-my_plugin_v2_");
  EXPECT_EQ(consumerName("a-b_c9"), "sgeventd-a-b_c9");
}

TEST(FilterSubject, OneEventTypeAcrossEveryCallbackIsTheOnlyNarrowing) {
  const auto shot = only({{"Shotgun_Shot_Change", core::MatchAttrs::any()}});
  const auto shotCode = only({{"Shotgun_Shot_Change", core::MatchAttrs::list({"code"})}});
  const auto version = only({{"Shotgun_Version_New", core::MatchAttrs::any()}});
  EXPECT_EQ(filterSubject("studio", {shot}), "sgevents.studio.*.Shotgun_Shot_Change");
  EXPECT_EQ(filterSubject("studio", {shot, shotCode}), "sgevents.studio.*.Shotgun_Shot_Change");
  EXPECT_EQ(filterSubject("studio", {shot, version}), "sgevents.studio.>");
  EXPECT_EQ(filterSubject("studio", {shot, core::MatchSpec::all()}), "sgevents.studio.>");
  EXPECT_EQ(filterSubject("studio", {only({{"*", core::MatchAttrs::any()}})}), "sgevents.studio.>");
  EXPECT_EQ(filterSubject("studio", {only({{"Shotgun_Shot_Change", core::MatchAttrs::any()},
                                           {"Shotgun_Shot_New", core::MatchAttrs::any()}})}),
            "sgevents.studio.>");
  EXPECT_EQ(filterSubject("studio", {}), "sgevents.studio.>");
  // A type a subject token cannot hold as written is tokenized as the publisher tokenizes it.
  EXPECT_EQ(filterSubject("studio", {only({{"My Custom.Event", core::MatchAttrs::any()}})}),
            "sgevents.studio.*.My_Custom_Event");
}

struct ConsumerFixture : ::testing::Test {
  testing::NatsServer server;
  ConnectionPtr connection;

  void SetUp() override {
    ASSERT_TRUE(server.start()) << server.log();
    auto c = Connection::connect(server.options());
    ASSERT_TRUE(c) << c.error().message;
    connection = ConnectionPtr(std::move(*c));
    ASSERT_TRUE(ensureStream(*connection, StreamSettings{.name = "SGEVENTS", .site = "studio"}));
  }
  ConsumerInfoPtr info(const std::string& name) {
    jsConsumerInfo* raw = nullptr;
    EXPECT_EQ(js_GetConsumerInfo(&raw, connection->jetStream(), "SGEVENTS", name.c_str(), nullptr, nullptr),
              NATS_OK);
    return ConsumerInfoPtr(raw);
  }
};

TEST_F(ConsumerFixture, CreatedThenUnchangedThenUpdatedThenRecreatedAtItsAckFloor) {
  auto publisher = Publisher::start(connection, PublisherOptions{.stream = "SGEVENTS", .site = "studio"});
  ASSERT_TRUE(publisher);
  for (std::int64_t id = 1; id <= 12; ++id) {
    ASSERT_TRUE((*publisher)->publish(testing::makeEvent(id)));
  }
  ASSERT_TRUE((*publisher)->flush(10s));

  ConsumerSettings settings{.stream = "SGEVENTS",
                            .name = "sgeventd-p",
                            .filter = "sgevents.studio.>",
                            .ackWait = 2000ms,
                            .maxDeliver = 3,
                            .startAtFirst = true};
  ASSERT_EQ(ensureConsumer(*connection, settings).value(), ConsumerChange::Created);
  ASSERT_EQ(ensureConsumer(*connection, settings).value(), ConsumerChange::Unchanged);
  settings.maxDeliver = 5;
  ASSERT_EQ(ensureConsumer(*connection, settings).value(), ConsumerChange::Updated);
  EXPECT_EQ(info("sgeventd-p")->Config->MaxDeliver, 5);
  EXPECT_EQ(info("sgeventd-p")->Config->AckWait, 2000LL * 1000000);

  // Acknowledge the first four events, then narrow the filter to Shotgun_Shot_Change (ids 3, 6, 9, 12).
  auto subscription = bindConsumer(*connection, settings);
  ASSERT_TRUE(subscription) << subscription.error().message;
  for (int i = 0; i < 4; ++i) {
    MessageList batch;
    ASSERT_EQ(natsSubscription_Fetch(batch.get(), subscription->get(), 1, 2000, nullptr), NATS_OK);
    ASSERT_EQ(natsMsg_AckSync(batch[0], nullptr, nullptr), NATS_OK);
  }
  subscription->reset();
  settings.filter = "sgevents.studio.*.Shotgun_Shot_Change";
  ASSERT_EQ(ensureConsumer(*connection, settings).value(), ConsumerChange::Recreated);
  EXPECT_STREQ(info("sgeventd-p")->Config->FilterSubject, "sgevents.studio.*.Shotgun_Shot_Change");
  auto rebound = bindConsumer(*connection, settings);
  ASSERT_TRUE(rebound) << rebound.error().message;
  std::vector<std::int64_t> ids;
  for (;;) {
    MessageList batch;
    if (natsSubscription_Fetch(batch.get(), rebound->get(), 1, 500, nullptr) != NATS_OK) {
      break;
    }
    const char* id = nullptr;
    natsMsgHeader_Get(batch[0], "Nats-Msg-Id", &id);
    ids.push_back(eventIdOf("studio", id).value_or(0));
    natsMsg_AckSync(batch[0], nullptr, nullptr);
  }
  // Event 3 was acknowledged under the old filter: it does not run again.
  EXPECT_EQ(ids, (std::vector<std::int64_t>{6, 9, 12}));
}

TEST_F(ConsumerFixture, ANewConsumerStartsAfterTheNewestEventByDefault) {
  auto publisher = Publisher::start(connection, PublisherOptions{.stream = "SGEVENTS", .site = "studio"});
  ASSERT_TRUE(publisher);
  ASSERT_TRUE((*publisher)->publish(testing::makeEvent(1)));
  ASSERT_TRUE((*publisher)->flush(10s));
  ConsumerSettings settings{.stream = "SGEVENTS", .name = "sgeventd-late", .filter = "sgevents.studio.>"};
  ASSERT_EQ(ensureConsumer(*connection, settings).value(), ConsumerChange::Created);
  EXPECT_EQ(info("sgeventd-late")->Config->DeliverPolicy, js_DeliverNew);
  EXPECT_EQ(info("sgeventd-late")->NumPending, 0U);
}

}  // namespace
}  // namespace sgeventd::broker
