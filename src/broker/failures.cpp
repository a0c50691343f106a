#include "broker/failures.h"

#include <nlohmann/json.hpp>

#include "broker/stream.h"
#include "broker/subjects.h"

namespace sgeventd::broker {

std::string failureStreamName(std::string_view stream) { return std::string(stream) + "_FAILURES"; }

std::string failureSubject(std::string_view site, std::string_view pluginName) {
  return std::string(kFailurePrefix) + "." + subjectToken(site) + "." + subjectToken(pluginName);
}

std::string failureJson(const FailureRecord& record) {
  nlohmann::json event = nlohmann::json::parse(record.event, nullptr, false);
  if (event.is_discarded()) {
    event = record.event;  // kept as text when it is not JSON (an undecodable message)
  }
  return nlohmann::json{{"plugin", record.plugin},     {"event_id", record.eventId},
                        {"callback", record.callback}, {"attempts", record.attempts},
                        {"error", record.error},       {"event", std::move(event)}}
      .dump();
}

FailureRecorder::FailureRecorder(ConnectionPtr connection, std::string stream, std::string site, int replicas)
    : connection_(std::move(connection)),
      stream_(failureStreamName(stream)),
      site_(subjectToken(site)),
      replicas_(replicas) {}

Expected<void> FailureRecorder::ensure() {
  if (ensured_) {
    return {};
  }
  const std::string subjects = std::string(kFailurePrefix) + "." + site_ + ".>";
  const char* subjectList[] = {subjects.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream_.c_str();
  config.Subjects = subjectList;
  config.SubjectsLen = 1;
  config.Retention = js_LimitsPolicy;
  config.Storage = js_FileStorage;
  config.Replicas = replicas_;
  // The site stream's window: a record re-sent after a worker's crash is dropped as its events would be.
  config.Duplicates = std::chrono::nanoseconds(StreamSettings{}.duplicateWindow).count();
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, connection_->jetStream(), stream_.c_str(), nullptr, &code);
  StreamInfoPtr existing(raw);
  if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
    raw = nullptr;
    s = js_AddStream(&raw, connection_->jetStream(), &config, nullptr, &code);
    StreamInfoPtr created(raw);
    // Another worker may have created it first: that is as good.
    if (s != NATS_OK && code != JSStreamNameExistErr) {
      return unexpected(natsError("cannot create the failures stream " + stream_, s, code));
    }
  } else if (s != NATS_OK) {
    return unexpected(natsError("cannot read the failures stream " + stream_, s, code));
  }
  ensured_ = true;
  return {};
}

Expected<void> FailureRecorder::record(const FailureRecord& record) {
  std::lock_guard lock(mutex_);
  if (auto ensured = ensure(); !ensured) {
    return ensured;
  }
  const std::string subject = failureSubject(site_, record.plugin);
  const std::string payload = failureJson(record);
  const std::string id = site_ + ":" + subjectToken(record.plugin) + ":" + std::to_string(record.eventId);
  natsMsg* raw = nullptr;
  natsStatus s =
      natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size()));
  MessagePtr message(raw);
  if (s == NATS_OK) {
    s = natsMsgHeader_Set(message.get(), "Nats-Msg-Id", id.c_str());
  }
  if (s != NATS_OK) {
    return unexpected(natsError("cannot build the failure record", s));
  }
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, connection_->jetStream(), message.get(), nullptr, &code);
  jsPubAck_Destroy(ack);
  if (s != NATS_OK) {
    return unexpected(natsError("cannot record the failure in " + stream_, s, code));
  }
  return {};
}

}  // namespace sgeventd::broker
