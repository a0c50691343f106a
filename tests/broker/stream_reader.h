#pragma once
// Reads what a stream holds for a site through a durable pull consumer, as a worker will, acknowledging
// each message; and events for the publisher to publish.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "broker/connection.h"
#include "broker/subjects.h"
#include "core/event.h"

namespace sgeventd::testing {

struct StoredMessage {
  std::int64_t eventId = 0;  // from Nats-Msg-Id
  std::string messageId;
  std::string subject;
  std::string payload;
  std::uint64_t sequence = 0;
};

// Everything the stream holds for the site, in stream order: fetched in batches until a fetch of
// `idle` brings nothing.
inline std::vector<StoredMessage> readStream(
    const broker::Connection& connection, const std::string& stream, const std::string& site,
    const std::string& durable, std::chrono::milliseconds idle = std::chrono::milliseconds(1000)) {
  std::vector<StoredMessage> out;
  jsSubOptions subOptions;
  jsSubOptions_Init(&subOptions);
  subOptions.Stream = stream.c_str();
  subOptions.Config.AckPolicy = js_AckExplicit;
  subOptions.Config.DeliverPolicy = js_DeliverAll;
  natsSubscription* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const std::string subjects = broker::siteSubjects(site);
  // A clustered stream that just lost a node may refuse a new consumer for a moment (its leader is being
  // elected): try for a few seconds before calling it a failure.
  natsStatus subscribed = NATS_ERR;
  for (int attempt = 0; attempt < 40 && subscribed != NATS_OK; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    subscribed = js_PullSubscribe(&raw, connection.jetStream(), subjects.c_str(), durable.c_str(), nullptr,
                                  &subOptions, &code);
  }
  if (subscribed != NATS_OK) {
    ADD_FAILURE() << broker::natsError("js_PullSubscribe", NATS_ERR, code).message;
    return out;
  }
  broker::SubscriptionPtr subscription(raw);
  int emptyFetches = 0;
  for (;;) {
    broker::MessageList batch;
    const natsStatus s = natsSubscription_Fetch(batch.get(), subscription.get(), 500, idle.count(), &code);
    if (s == NATS_TIMEOUT) {
      // A consumer just created on a clustered stream may take a few seconds to deliver its first message.
      if (out.empty() && ++emptyFetches < 10) {
        continue;
      }
      break;
    }
    if (s != NATS_OK) {
      ADD_FAILURE() << broker::natsError("natsSubscription_Fetch", s, code).message;
      break;
    }
    for (int i = 0; i < batch.size(); ++i) {
      natsMsg* message = batch[i];
      StoredMessage stored;
      const char* id = nullptr;
      if (natsMsgHeader_Get(message, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
        stored.messageId = id;
        stored.eventId = broker::eventIdOf(site, id).value_or(0);
      }
      stored.subject = natsMsg_GetSubject(message);
      stored.payload.assign(natsMsg_GetData(message),
                            static_cast<std::size_t>(natsMsg_GetDataLength(message)));
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, message) == NATS_OK) {
        stored.sequence = meta->Sequence.Stream;
      }
      jsMsgMetaData_Destroy(meta);
      EXPECT_EQ(natsMsg_Ack(message, nullptr), NATS_OK);
      out.push_back(std::move(stored));
    }
  }
  natsSubscription_Unsubscribe(subscription.get());
  return out;
}

// Event `id`: entity types and event types vary, some with characters a subject token cannot hold.
inline core::Event makeEvent(std::int64_t id) {
  static const char* const kEntities[] = {"Shot", "Version", "", "Custom Entity.01"};
  static const char* const kTypes[] = {"Shotgun_Shot_Change", "Shotgun_Version_New",
                                       "Shotgun_Reading_Change"};
  core::Event event;
  event.id = id;
  event.eventType = kTypes[id % 3];
  if (const std::string entity = kEntities[id % 4]; !entity.empty()) {
    event.entity = core::EntityRef{entity, id * 10, "name"};
  }
  event.json = "{\"id\":" + std::to_string(id) + ",\"event_type\":\"" + event.eventType + "\"}";
  return event;
}

// The subject makeEvent(id) must land on, written out by hand.
inline std::string expectedSubject(const std::string& site, std::int64_t id) {
  static const char* const kEntities[] = {"Shot", "Version", "none", "Custom_Entity_01"};
  static const char* const kTypes[] = {"Shotgun_Shot_Change", "Shotgun_Version_New",
                                       "Shotgun_Reading_Change"};
  return "sgevents." + site + "." + kEntities[id % 4] + "." + kTypes[id % 3];
}

}  // namespace sgeventd::testing
