#pragma once
// RAII owners of the nats.c handles the broker room uses, and the translation of a nats.c status into
// the module-boundary Error. Every nats.c object the room creates lives in one of these.
#include <nats/nats.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/expected.h"

namespace sgeventd::broker {

struct NatsDeleter {
  void operator()(natsOptions* p) const { natsOptions_Destroy(p); }
  void operator()(natsConnection* p) const { natsConnection_Destroy(p); }
  void operator()(jsCtx* p) const { jsCtx_Destroy(p); }
  void operator()(natsSubscription* p) const { natsSubscription_Destroy(p); }
  void operator()(natsMsg* p) const { natsMsg_Destroy(p); }
  void operator()(jsStreamInfo* p) const { jsStreamInfo_Destroy(p); }
  void operator()(jsConsumerInfo* p) const { jsConsumerInfo_Destroy(p); }
  void operator()(jsMsgMetaData* p) const { jsMsgMetaData_Destroy(p); }
};

using OptionsPtr = std::unique_ptr<natsOptions, NatsDeleter>;
using ConnectionHandle = std::unique_ptr<natsConnection, NatsDeleter>;
using JetStreamHandle = std::unique_ptr<jsCtx, NatsDeleter>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, NatsDeleter>;
using MessagePtr = std::unique_ptr<natsMsg, NatsDeleter>;
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, NatsDeleter>;
using ConsumerInfoPtr = std::unique_ptr<jsConsumerInfo, NatsDeleter>;
using MetaDataPtr = std::unique_ptr<jsMsgMetaData, NatsDeleter>;

// A message list filled by natsSubscription_Fetch: destroys the list and the messages left in it.
class MessageList {
 public:
  MessageList() = default;
  ~MessageList() { natsMsgList_Destroy(&list_); }
  MessageList(const MessageList&) = delete;
  MessageList& operator=(const MessageList&) = delete;
  natsMsgList* get() { return &list_; }
  int size() const { return list_.Count; }
  natsMsg* operator[](int i) const { return list_.Msgs[i]; }

 private:
  natsMsgList list_{};
};

// "what: <status text> (JetStream error N): <the library's last error text>"; `code` is the
// JetStream error code when there is one, else the natsStatus.
Error natsError(std::string_view what, natsStatus status, jsErrCode jsCode = static_cast<jsErrCode>(0));

}  // namespace sgeventd::broker
