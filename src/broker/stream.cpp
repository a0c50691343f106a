#include "broker/stream.h"

#include "broker/subjects.h"

namespace sgeventd::broker {

namespace {

constexpr std::int64_t kNanosPerSecond = 1000000000;

}  // namespace

Expected<void> ensureStream(const Connection& connection, const StreamSettings& settings) {
  const std::string subjects = siteSubjects(settings.site);
  const char* subjectList[] = {subjects.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = settings.name.c_str();
  config.Subjects = subjectList;
  config.SubjectsLen = 1;
  config.Retention = js_LimitsPolicy;
  config.Storage = js_FileStorage;
  config.Discard = js_DiscardOld;
  config.Replicas = settings.replicas;
  config.Duplicates = settings.duplicateWindow.count() * kNanosPerSecond;

  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, connection.jetStream(), settings.name.c_str(), nullptr, &code);
  StreamInfoPtr existing(raw);
  if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
    raw = nullptr;
    s = js_AddStream(&raw, connection.jetStream(), &config, nullptr, &code);
    StreamInfoPtr created(raw);
    if (s != NATS_OK) {
      return unexpected(natsError("cannot create the stream " + settings.name, s, code));
    }
    return {};
  }
  if (s != NATS_OK) {
    return unexpected(natsError("cannot read the stream " + settings.name, s, code));
  }
  const jsStreamConfig* current = existing->Config;
  const bool sameSubjects =
      current != nullptr && current->SubjectsLen == 1 && current->Subjects[0] == subjects;
  if (!sameSubjects) {
    std::string held;
    for (int i = 0; current != nullptr && i < current->SubjectsLen; ++i) {
      held += (i == 0 ? "" : ", ") + std::string(current->Subjects[i]);
    }
    return fail("the stream " + settings.name + " holds " + (held.empty() ? "no subjects" : held) + ", not " +
                subjects + " (another site's stream? set [broker] stream)");
  }
  raw = nullptr;
  s = js_UpdateStream(&raw, connection.jetStream(), &config, nullptr, &code);
  StreamInfoPtr updated(raw);
  if (s != NATS_OK) {
    return unexpected(natsError("cannot update the stream " + settings.name, s, code));
  }
  return {};
}

Expected<std::optional<StreamPosition>> recoverPosition(const Connection& connection,
                                                        const std::string& stream, const std::string& site) {
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const std::string subjects = siteSubjects(site);
  const natsStatus s =
      js_GetLastMsg(&raw, connection.jetStream(), stream.c_str(), subjects.c_str(), nullptr, &code);
  MessagePtr message(raw);
  if (s == NATS_NOT_FOUND || code == JSNoMessageFoundErr) {
    return std::optional<StreamPosition>();
  }
  if (s != NATS_OK) {
    return unexpected(natsError("cannot read the last message of the stream " + stream, s, code));
  }
  StreamPosition position;
  position.sequence = natsMsg_GetSequence(message.get());
  const char* id = nullptr;
  if (natsMsgHeader_Get(message.get(), "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
    position.messageId = id;
    position.eventId = eventIdOf(subjectToken(site), id).value_or(0);
  }
  return std::optional<StreamPosition>(std::move(position));
}

}  // namespace sgeventd::broker
