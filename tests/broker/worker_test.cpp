// `sgeventd worker --broker` processes against a nats-server of each test's own, fed by broker::Publisher:
// a hot standby taking over from a worker killed mid-callback, a server restart while workers consume,
// MaxDeliver's end in the failures stream, and a consumer's filter. end_to_end_test.cpp runs the daemon too.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "broker/failures.h"
#include "worker_fixture.h"

namespace sgeventd::testing {
namespace {

using namespace std::chrono_literals;

using BrokerWorker = WorkerFixture;

TEST_F(BrokerWorker, AHotStandbyTakesOverTheEventOfAWorkerKilledMidCallback) {
  constexpr std::int64_t kEvents = 200;
  constexpr std::int64_t kSlow = 50;
  ASSERT_NO_FATAL_FAILURE(publish(1, kEvents));
  // The first worker to get event 50 sleeps in its callback far longer than ack_wait (1 s).
  addPlugin("plugins", "slow", "sleeponce:" + std::to_string(kSlow) + ":60000");
  Process& first = startWorker("first", "plugins", "ack_wait: 1\n");
  Process& second = startWorker("second", "plugins", "ack_wait: 1\n");
  ASSERT_TRUE(waitUntil([&] { return fs::exists(out("slow").string() + ".slept"); }, 20s));
  ASSERT_TRUE(waitUntil(
      [&] {
        const auto calls = readCalls(out("slow"));
        return !calls.empty() && calls.back().id == kSlow;
      },
      5s));
  const long sleeper = readCalls(out("slow")).back().pid;
  // The heartbeat keeps the event with its worker: three ack waits later nobody else has had it.
  std::this_thread::sleep_for(3s);
  {
    const auto calls = readCalls(out("slow"));
    ASSERT_EQ(calls.back().id, kSlow);
    ASSERT_EQ(calls.size(), static_cast<std::size_t>(kSlow)) << "the event left its worker while it ran";
  }
  const std::string killed = sleeper == first.pid() ? "first" : "second";
  const std::string survivor = killed == "first" ? "second" : "first";
  ASSERT_TRUE(sleeper == first.pid() || sleeper == second.pid());
  workers[killed]->signal(SIGKILL);
  workers[killed]->wait(10s);
  ASSERT_TRUE(linesReach("slow", kEvents + 1, 30s)) << workerLog(survivor);
  stopWorker(survivor);
  const auto calls = readCalls(out("slow"));
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kEvents + 1));
  ASSERT_NO_FATAL_FAILURE(expectInOrder(calls, 1, kEvents, {kSlow}));
  for (std::size_t i = static_cast<std::size_t>(kSlow); i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].pid, workers[survivor]->pid()) << "call " << i;
  }
}

TEST_F(BrokerWorker, NothingIsLostWhenTheServerRestartsWhileWorkersConsume) {
  constexpr std::int64_t kEvents = 3000;
  ASSERT_NO_FATAL_FAILURE(publish(1, kEvents));
  // A millisecond per event keeps the workers busy across the restart.
  addPlugin("plugins-a", "steady", "sleep:0:1");
  addPlugin("plugins-b", "other");
  startWorker("a", "plugins-a");
  startWorker("b", "plugins-b");
  ASSERT_TRUE(linesReach("steady", 300, 20s)) << workerLog("a");
  server.stop();
  ASSERT_LT(lineCount(out("steady")), static_cast<std::size_t>(kEvents)) << "too fast to test a restart";
  ASSERT_TRUE(logged("a", "retrying until the broker answers", 1, 20s)) << workerLog("a");
  ASSERT_TRUE(server.start()) << server.log();
  ASSERT_TRUE(logged("a", "the broker answers again", 1, 20s)) << workerLog("a");
  ASSERT_TRUE(allRan({"steady", "other"}, static_cast<std::size_t>(kEvents), 60s))
      << lineCount(out("steady")) << " and " << lineCount(out("other")) << " of " << kEvents;
  stopWorker("a");
  stopWorker("b");
  ASSERT_NO_FATAL_FAILURE(expectOnceBarLostAcks({"steady", "other"}, 1, kEvents));
}

TEST_F(BrokerWorker, AfterMaxDeliverTheEventIsRecordedAndTheNextOnesProceed) {
  constexpr std::int64_t kEvents = 20;
  ASSERT_NO_FATAL_FAILURE(publish(1, kEvents));
  addPlugin("plugins", "flaky", "retry:5");
  startWorker("w", "plugins");
  ASSERT_TRUE(linesReach("flaky", kEvents + 2, 20s)) << workerLog("w");
  ASSERT_TRUE(logged("w", "after 3 deliveries")) << workerLog("w");
  stopWorker("w");
  const auto calls = readCalls(out("flaky"));
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kEvents + 2));
  ASSERT_NO_FATAL_FAILURE(expectInOrder(calls, 1, kEvents, {5}));

  const std::string failures = broker::failureStreamName(kStream);
  jsStreamInfo* rawInfo = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&rawInfo, connection->jetStream(), failures.c_str(), nullptr, nullptr), NATS_OK);
  broker::StreamInfoPtr info(rawInfo);
  EXPECT_EQ(info->State.Msgs, 1U);
  natsMsg* raw = nullptr;
  ASSERT_EQ(js_GetLastMsg(&raw, connection->jetStream(), failures.c_str(), "sgfailures.studio.flaky", nullptr,
                          nullptr),
            NATS_OK);
  broker::MessagePtr message(raw);
  const auto record = nlohmann::json::parse(std::string(
      natsMsg_GetData(message.get()), static_cast<std::size_t>(natsMsg_GetDataLength(message.get()))));
  EXPECT_EQ(record["plugin"], "flaky");
  EXPECT_EQ(record["event_id"], 5);
  EXPECT_EQ(record["callback"], "record");
  EXPECT_EQ(record["attempts"], 3);
  EXPECT_NE(record["error"].get<std::string>().find("asked to retry 5"), std::string::npos) << record.dump();
  EXPECT_EQ(record["event"]["id"], 5);
}

TEST_F(BrokerWorker, AConsumerFiltersOnTheOneEventTypeItsPluginMatches) {
  constexpr std::int64_t kEvents = 30;
  ASSERT_NO_FATAL_FAILURE(publish(1, kEvents));
  addPlugin("plugins", "shots", "", R"({"Shotgun_Shot_Change": null})");
  startWorker("w", "plugins");
  // makeEvent: event type Shotgun_Shot_Change on every third id.
  ASSERT_TRUE(linesReach("shots", kEvents / 3, 20s)) << workerLog("w");
  stopWorker("w");
  const auto calls = readCalls(out("shots"));
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kEvents / 3));
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].id, static_cast<std::int64_t>(3 * i + 3));
  }
  jsConsumerInfo* raw = nullptr;
  ASSERT_EQ(js_GetConsumerInfo(&raw, connection->jetStream(), kStream, "sgeventd-shots", nullptr, nullptr),
            NATS_OK);
  broker::ConsumerInfoPtr info(raw);
  EXPECT_STREQ(info->Config->FilterSubject, "sgevents.studio.*.Shotgun_Shot_Change");
  EXPECT_EQ(info->Config->MaxAckPending, 1);
  EXPECT_EQ(info->Config->MaxDeliver, 3);
  EXPECT_EQ(info->Config->AckPolicy, js_AckExplicit);
  // The server only delivered what the filter lets through.
  EXPECT_EQ(info->Delivered.Consumer, static_cast<std::uint64_t>(kEvents / 3));
}

TEST_F(BrokerWorker, AnEventDeliveredAgainAfterItsConfirmedAcknowledgementDoesNotRunAgain) {
  // A server that forgets acknowledgements it confirmed (a cluster's consumer leader dying before its
  // replicas applied them) is played by making the consumer again from the stream's first message while
  // the worker is stopped (SIGSTOP, so it cannot make the consumer itself meanwhile).
  constexpr std::int64_t kEvents = 40;
  ASSERT_NO_FATAL_FAILURE(publish(1, kEvents));
  addPlugin("plugins", "once");
  Process& worker = startWorker("w", "plugins");
  ASSERT_TRUE(linesReach("once", kEvents, 20s)) << workerLog("w");
  broker::ConsumerInfoPtr info;
  ASSERT_TRUE(waitUntil(
      [&] {
        jsConsumerInfo* raw = nullptr;
        js_GetConsumerInfo(&raw, connection->jetStream(), kStream, "sgeventd-once", nullptr, nullptr);
        info.reset(raw);
        return info && info->AckFloor.Stream == static_cast<std::uint64_t>(kEvents);
      },
      20s))
      << "every acknowledgement confirmed";
  worker.signal(SIGSTOP);
  ASSERT_EQ(js_DeleteConsumer(connection->jetStream(), kStream, "sgeventd-once", nullptr, nullptr), NATS_OK);
  jsConsumerConfig config = *info->Config;
  config.DeliverPolicy = js_DeliverAll;
  config.OptStartSeq = 0;
  jsConsumerInfo* again = nullptr;
  ASSERT_EQ(js_AddConsumer(&again, connection->jetStream(), kStream, &config, nullptr, nullptr), NATS_OK);
  broker::ConsumerInfoPtr againInfo(again);
  worker.signal(SIGCONT);
  ASSERT_TRUE(logged("w", "came again after the server confirmed its acknowledgement",
                     static_cast<std::size_t>(kEvents), 30s))
      << workerLog("w");
  // Later events run as usual.
  ASSERT_NO_FATAL_FAILURE(publish(kEvents + 1, kEvents + 5));
  ASSERT_TRUE(linesReach("once", kEvents + 5, 20s)) << workerLog("w");
  stopWorker("w");
  const auto calls = readCalls(out("once"));
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kEvents + 5)) << "no event ran twice";
  ASSERT_NO_FATAL_FAILURE(expectInOrder(calls, 1, kEvents + 5, {}));
}

TEST(BrokerWorkerCommand, ExactlyOneModeIsGiven) {
  std::string output;
  EXPECT_EQ(runCommand({SGEVENTD_BINARY, "worker"}, output), 2) << output;
  EXPECT_NE(output.find("exactly one of --broker"), std::string::npos) << output;
  EXPECT_EQ(runCommand({SGEVENTD_BINARY, "worker", "--broker", "--channel-fd", "3"}, output), 2) << output;
  EXPECT_NE(output.find("exactly one of --broker"), std::string::npos) << output;
  EXPECT_EQ(runCommand({SGEVENTD_BINARY, "worker", "--help"}, output), 0) << output;
  EXPECT_NE(output.find("--broker"), std::string::npos) << output;
}

}  // namespace
}  // namespace sgeventd::testing
