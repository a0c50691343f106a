#pragma once
// The failures stream: one record per event a plugin gave up on, so an operator can see and replay it
// after the consumer moved on. `<stream>_FAILURES`, subjects sgfailures.<site>.>, one subject per plugin
// (sgfailures.<site>.<plugin>), the payload a JSON object {plugin, event_id, callback, attempts, error,
// event}. Created on the first record, with the site stream's storage and replicas.
#include <cstdint>
#include <mutex>
#include <string>

#include "broker/connection.h"

namespace sgeventd::broker {

inline constexpr std::string_view kFailurePrefix = "sgfailures";

std::string failureStreamName(std::string_view stream);
std::string failureSubject(std::string_view site, std::string_view pluginName);

struct FailureRecord {
  std::string plugin;
  std::int64_t eventId = 0;
  std::string callback;
  int attempts = 0;
  std::string error;
  std::string event;  // the EventLogEntry JSON as the stream held it
};

std::string failureJson(const FailureRecord& record);

class FailureRecorder {
 public:
  FailureRecorder(ConnectionPtr connection, std::string stream, std::string site, int replicas);
  // Publishes the record and waits for its PubAck. Its message id is <site>:<plugin>:<event id>, so a
  // worker that dies after recording and before acknowledging does not record the event twice.
  Expected<void> record(const FailureRecord& record);

 private:
  Expected<void> ensure();

  ConnectionPtr connection_;
  std::string stream_;
  std::string site_;
  int replicas_;
  std::mutex mutex_;
  bool ensured_ = false;
};

}  // namespace sgeventd::broker
