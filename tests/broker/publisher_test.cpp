// The publisher against a nats-server of each test's own: order, subjects, the duplicate window, the
// checkpoint rule across a server killed mid-stream, and where a fresh publisher resumes.
#include "broker/publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "../support/wait.h"
#include "core/memory_log.h"
#include "nats_server.h"
#include "stream_reader.h"

namespace sgeventd::broker {
namespace {

using namespace std::chrono_literals;
using testing::makeEvent;
using testing::readStream;

constexpr const char* kSite = "studio";
constexpr const char* kStream = "SGEVENTS";

struct PublisherFixture : ::testing::Test {
  testing::NatsServer server;
  ConnectionPtr connection;

  void SetUp() override {
    ASSERT_TRUE(server.start()) << "nats-server did not start; its log: " << server.log();
    connection = connect();
    ASSERT_TRUE(connection);
    auto stream = ensureStream(*connection, StreamSettings{.name = kStream, .site = kSite});
    ASSERT_TRUE(stream) << stream.error().message;
  }
  ConnectionPtr connect() {
    auto c = Connection::connect(server.options());
    EXPECT_TRUE(c) << c.error().message;
    return c ? ConnectionPtr(std::move(*c)) : nullptr;
  }
  std::unique_ptr<Publisher> startPublisher(int window = 256, std::chrono::milliseconds ackTimeout = 5000ms) {
    auto p = Publisher::start(connection, PublisherOptions{.stream = kStream,
                                                           .site = kSite,
                                                           .maxPendingAcks = window,
                                                           .ackTimeout = ackTimeout,
                                                           .retryPause = 50ms});
    EXPECT_TRUE(p) << p.error().message;
    return p ? std::move(*p) : nullptr;
  }
  void publishRange(Publisher& publisher, std::int64_t first, std::int64_t last) {
    for (std::int64_t id = first; id <= last; ++id) {
      auto done = publisher.publish(makeEvent(id));
      ASSERT_TRUE(done) << id << ": " << done.error().message;
    }
  }
  // Every id from 1 to `last` once, in id order, on its subject.
  void expectStreamHolds(std::int64_t last, const std::string& consumer) {
    auto reader = connect();
    ASSERT_TRUE(reader);
    const auto stored = readStream(*reader, kStream, kSite, consumer);
    ASSERT_EQ(stored.size(), static_cast<std::size_t>(last));
    for (std::size_t i = 0; i < stored.size(); ++i) {
      const auto id = static_cast<std::int64_t>(i + 1);
      ASSERT_EQ(stored[i].eventId, id) << "at stream position " << i + 1;
      ASSERT_EQ(stored[i].messageId, std::string(kSite) + ":" + std::to_string(id));
      ASSERT_EQ(stored[i].subject, testing::expectedSubject(kSite, id));
      ASSERT_EQ(stored[i].payload, makeEvent(id).json);
      ASSERT_EQ(stored[i].sequence, i + 1);
    }
  }
  std::uint64_t streamMessages() {
    jsStreamInfo* raw = nullptr;
    EXPECT_EQ(js_GetStreamInfo(&raw, connection->jetStream(), kStream, nullptr, nullptr), NATS_OK);
    StreamInfoPtr info(raw);
    return info ? info->State.Msgs : 0;
  }
};

TEST_F(PublisherFixture, TenThousandEventsArriveOnceInOrderOnTheirSubjects) {
  auto publisher = startPublisher();
  ASSERT_TRUE(publisher);
  EXPECT_EQ(publisher->resumeAfter(), 0);
  EXPECT_EQ(publisher->checkpoint(), 0);
  publishRange(*publisher, 1, 10000);
  ASSERT_TRUE(publisher->flush(60s));
  EXPECT_EQ(publisher->checkpoint(), 10000);
  const PublisherStats stats = publisher->stats();
  EXPECT_EQ(stats.published, 10000U);
  EXPECT_EQ(stats.acknowledged, 10000U);
  EXPECT_EQ(stats.duplicates, 0U);
  EXPECT_EQ(stats.rewinds, 0U) << stats.lastError;
  EXPECT_EQ(stats.pending, 0U);
  expectStreamHolds(10000, "check");
}

TEST_F(PublisherFixture, ARepublishAfterACrashAddsNothingToTheStream) {
  {
    // The "crash": the publisher goes away with PubAcks outstanding and, perhaps, events not sent.
    auto first = startPublisher();
    ASSERT_TRUE(first);
    publishRange(*first, 1, 2000);
  }
  ASSERT_EQ(natsConnection_Flush(connection->nats()), NATS_OK);  // what it sent has reached the server
  const std::uint64_t stored = streamMessages();
  ASSERT_GE(stored, 1500U);
  // The daemon's saved state lags behind the stream: it re-publishes from 1501.
  auto second = startPublisher();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->resumeAfter(), static_cast<std::int64_t>(stored));
  publishRange(*second, 1501, 3000);
  ASSERT_TRUE(second->flush(60s));
  const PublisherStats stats = second->stats();
  EXPECT_EQ(stats.duplicates, stored - 1500);
  EXPECT_EQ(stats.rewinds, 0U) << stats.lastError;
  EXPECT_EQ(second->checkpoint(), 3000);
  EXPECT_EQ(streamMessages(), 3000U);
  expectStreamHolds(3000, "check");
}

TEST_F(PublisherFixture, TheSameIdsAgainAreDuplicatesOnly) {
  {
    auto first = startPublisher();
    ASSERT_TRUE(first);
    publishRange(*first, 1, 500);
    ASSERT_TRUE(first->flush(30s));
  }
  auto second = startPublisher();
  ASSERT_TRUE(second);
  publishRange(*second, 1, 500);
  ASSERT_TRUE(second->flush(30s));
  EXPECT_EQ(second->stats().duplicates, 500U);
  EXPECT_EQ(second->stats().rewinds, 0U) << second->stats().lastError;
  EXPECT_EQ(streamMessages(), 500U);
  expectStreamHolds(500, "check");
}

// The server is killed mid-stream and started again on the same store: the checkpoint stands still
// while it is away and never passes an id the stream lacks, and the stream ends with every id once,
// in order.
TEST_F(PublisherFixture, TheCheckpointNeverPassesAnUnacknowledgedIdAcrossAServerRestart) {
  auto logs = std::make_shared<core::MemoryLogFactory>();
  auto made = Publisher::start(
      connection,
      PublisherOptions{
          .stream = kStream, .site = kSite, .maxPendingAcks = 64, .ackTimeout = 1000ms, .retryPause = 50ms},
      logs->get("broker"));
  ASSERT_TRUE(made) << made.error().message;
  auto publisher = std::move(*made);
  constexpr std::int64_t kLast = 6000;
  std::atomic<bool> publishing{true};
  std::thread feeder([&] {
    publishRange(*publisher, 1, kLast);
    publishing = false;
  });
  ASSERT_TRUE(testing::waitUntil([&] { return publisher->checkpoint() >= 1500; }, 30s));
  server.kill();
  std::this_thread::sleep_for(300ms);  // PubAcks already on the way have arrived
  const std::int64_t whileDown = publisher->checkpoint();
  std::this_thread::sleep_for(1500ms);  // past the ack timeout: the window's messages have failed
  EXPECT_EQ(publisher->checkpoint(), whileDown);
  EXPECT_LE(publisher->stats().pending, 64U);
  // The outage is logged once, when it is noticed.
  ASSERT_EQ(logs->sink().count("publishing to JetStream failed"), 1U);
  EXPECT_EQ(logs->sink().matching("publishing to JetStream failed")[0].level, core::LogLevel::Warning);
  EXPECT_TRUE(publishing.load());  // the window is full: publish() waits
  ASSERT_TRUE(server.start()) << server.log();
  {
    // What the checkpoint claimed before the restart is in the stream.
    auto reader = connect();
    ASSERT_TRUE(reader);
    auto position = recoverPosition(*reader, kStream, kSite);
    ASSERT_TRUE(position) << position.error().message;
    ASSERT_TRUE(position->has_value());
    EXPECT_GE((*position)->eventId, whileDown);
  }
  feeder.join();
  ASSERT_TRUE(publisher->flush(60s)) << publisher->stats().lastError;
  EXPECT_EQ(publisher->checkpoint(), kLast);
  EXPECT_GE(publisher->stats().rewinds, 1U);
  EXPECT_EQ(logs->sink().count("publishing to JetStream failed"), 1U);
  EXPECT_EQ(logs->sink().count("publishing to JetStream works again"), 1U);
  EXPECT_EQ(streamMessages(), static_cast<std::uint64_t>(kLast));
  expectStreamHolds(kLast, "check");
}

// A server that stops answering without closing the connection (SIGSTOP) and then carries on: it stores
// what was waiting in its socket while the publisher's PubAcks time out, so the publisher finds events
// it counted as lost already in the stream, and goes on from there.
TEST_F(PublisherFixture, AFrozenServerThatComesBackStoresEveryEventOnce) {
  auto publisher = startPublisher(256, 500ms);
  ASSERT_TRUE(publisher);
  constexpr std::int64_t kLast = 4000;
  std::thread feeder([&] { publishRange(*publisher, 1, kLast); });
  ASSERT_TRUE(testing::waitUntil([&] { return publisher->checkpoint() >= 1000; }, 30s));
  server.freeze();
  std::this_thread::sleep_for(1500ms);
  server.thaw();
  feeder.join();
  ASSERT_TRUE(publisher->flush(60s)) << publisher->stats().lastError;
  EXPECT_EQ(publisher->checkpoint(), kLast);
  EXPECT_GE(publisher->stats().rewinds, 1U);
  EXPECT_EQ(streamMessages(), static_cast<std::uint64_t>(kLast));
  expectStreamHolds(kLast, "check");
}

// The standby's overlap: two publishers of one site publishing the same events at once, on two
// connections. Each message is either the next one or a duplicate, so the stream holds each event once.
TEST_F(PublisherFixture, TwoPublishersOfOneSiteAtOnceStoreEachEventOnce) {
  auto first = startPublisher();
  ConnectionPtr own = connect();
  ASSERT_TRUE(first && own);
  auto made = Publisher::start(own, PublisherOptions{.stream = kStream, .site = kSite});
  ASSERT_TRUE(made) << made.error().message;
  auto second = std::move(*made);
  constexpr std::int64_t kLast = 3000;
  std::thread other([&] { publishRange(*second, 1, kLast); });
  publishRange(*first, 1, kLast);
  other.join();
  ASSERT_TRUE(first->flush(60s)) << first->stats().lastError;
  ASSERT_TRUE(second->flush(60s)) << second->stats().lastError;
  EXPECT_EQ(first->checkpoint(), kLast);
  EXPECT_EQ(second->checkpoint(), kLast);
  EXPECT_EQ(first->stats().duplicates + second->stats().duplicates, static_cast<std::uint64_t>(kLast));
  EXPECT_EQ(streamMessages(), static_cast<std::uint64_t>(kLast));
  expectStreamHolds(kLast, "check");
}

TEST_F(PublisherFixture, PublishWaitsWhileTheWindowIsFull) {
  auto publisher = startPublisher(8, 60000ms);
  ASSERT_TRUE(publisher);
  server.stop();
  for (std::int64_t id = 1; id <= 8; ++id) {
    ASSERT_TRUE(publisher->publish(makeEvent(id), 1000ms));
  }
  auto ninth = publisher->publish(makeEvent(9), 200ms);
  ASSERT_FALSE(ninth);
  EXPECT_EQ(ninth.error().message, "8 events are waiting for their PubAck");
  EXPECT_EQ(publisher->checkpoint(), 0);
  EXPECT_EQ(publisher->stats().pending, 8U);
}

TEST_F(PublisherFixture, AnEventBeyondTheServersMaxPayloadIsRefusedAndTheRestGoesOn) {
  auto publisher = startPublisher();
  ASSERT_TRUE(publisher);
  publishRange(*publisher, 1, 2);
  core::Event huge = makeEvent(3);
  huge.json = "{\"id\":3,\"meta\":\"" + std::string(2 * 1024 * 1024, 'x') + "\"}";
  auto refused = publisher->publish(huge);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message.rfind("event 3 is 2097", 0), 0U) << refused.error().message;
  publishRange(*publisher, 3, 4);
  ASSERT_TRUE(publisher->flush(30s));
  EXPECT_EQ(publisher->checkpoint(), 4);
  EXPECT_EQ(publisher->stats().published, 4U);
}

TEST_F(PublisherFixture, AFreshPublisherResumesAfterTheStreamsLastEvent) {
  {
    auto first = startPublisher();
    ASSERT_TRUE(first);
    publishRange(*first, 1, 100);
    ASSERT_TRUE(first->flush(30s));
  }
  auto position = recoverPosition(*connection, kStream, kSite);
  ASSERT_TRUE(position) << position.error().message;
  ASSERT_TRUE(position->has_value());
  EXPECT_EQ((*position)->eventId, 100);
  EXPECT_EQ((*position)->sequence, 100U);
  EXPECT_EQ((*position)->messageId, "studio:100");

  connection = connect();  // a new process: nothing shared with the first publisher
  auto fresh = startPublisher();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->resumeAfter(), 100);
  EXPECT_EQ(fresh->checkpoint(), 100);
  publishRange(*fresh, 101, 150);
  ASSERT_TRUE(fresh->flush(30s));
  EXPECT_EQ(fresh->checkpoint(), 150);
  EXPECT_EQ(fresh->stats().duplicates, 0U);
  expectStreamHolds(150, "check");
}

TEST_F(PublisherFixture, ALateIdBelowTheCheckpointIsReportedPendingUntilAcknowledged) {
  auto publisher = startPublisher(16, 2000ms);
  ASSERT_TRUE(publisher);
  publishRange(*publisher, 1, 10);
  publishRange(*publisher, 12, 20);
  ASSERT_TRUE(publisher->flush(30s));
  EXPECT_EQ(publisher->checkpoint(), 20);
  server.stop();
  ASSERT_TRUE(publisher->publish(makeEvent(11), 1000ms));  // id 11 committed late
  ASSERT_TRUE(publisher->publish(makeEvent(21), 1000ms));
  EXPECT_EQ(publisher->pendingBelowCheckpoint(), std::vector<std::int64_t>{11});
  EXPECT_EQ(publisher->checkpoint(), 20);  // 21 waits behind 11
  ASSERT_TRUE(server.start()) << server.log();
  ASSERT_TRUE(publisher->flush(60s)) << publisher->stats().lastError;
  EXPECT_TRUE(publisher->pendingBelowCheckpoint().empty());
  EXPECT_EQ(publisher->checkpoint(), 21);
  EXPECT_EQ(streamMessages(), 21U);
}

}  // namespace
}  // namespace sgeventd::broker
