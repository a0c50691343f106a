#pragma once
// The site's stream: created when missing, brought to these settings when it exists, and the last event
// it holds for the site, where a publisher without local state resumes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "broker/connection.h"

namespace sgeventd::broker {

struct StreamSettings {
  std::string name = "SGEVENTS";
  std::string site;  // the subjects are sgevents.<site>.>
  int replicas = 1;
  std::chrono::seconds duplicateWindow{120};  // a re-publish of a message id within it is dropped
};

// Creates the stream (file storage, limits retention, the subjects of the site) or updates an existing
// one to these settings. A stream of that name holding other subjects (another site's) is an error.
Expected<void> ensureStream(const Connection& connection, const StreamSettings& settings);

// The newest message the stream holds for the site.
struct StreamPosition {
  std::int64_t eventId = 0;    // from its Nats-Msg-Id; 0 when it has none of this site
  std::uint64_t sequence = 0;  // its stream sequence
  std::string messageId;       // its Nats-Msg-Id as stored ("" when it has none)
};

// nullopt when the stream holds nothing for the site; an error when the stream cannot be asked.
Expected<std::optional<StreamPosition>> recoverPosition(const Connection& connection,
                                                        const std::string& stream, const std::string& site);

}  // namespace sgeventd::broker
