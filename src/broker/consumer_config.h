#pragma once
// A plugin's durable pull consumer on the site's stream: its name, the filter subject its matchEvents
// allows, and its creation or update to the settings (idempotent: any number of workers may call it).
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "broker/connection.h"
#include "core/match_events.h"

namespace sgeventd::broker {

// "sgeventd-<plugin name>", every character outside [A-Za-z0-9_-] replaced by '_'.
std::string consumerName(std::string_view pluginName);

// The narrowest single subject that still holds every event the callbacks' matchEvents accept:
// sgevents.<site>.*.<event type> when every callback matches exactly one and the same event type,
// else sgevents.<site>.>. The entity token is left a wildcard on purpose: matchEvents says nothing of
// entity types, and an event's entity may be absent (a retirement), so a filter on it could drop events
// the plugin wants. The worker still applies matchEvents to what it receives.
std::string filterSubject(std::string_view site, const std::vector<core::MatchSpec>& specs);

struct ConsumerSettings {
  std::string stream;  // the site's stream
  std::string name;    // consumerName()
  std::string filter;  // filterSubject()
  std::chrono::milliseconds ackWait{30000};
  int maxDeliver = 3;         // the plugin's retry_attempts
  bool startAtFirst = false;  // a consumer created now: at the stream's first event, else after the newest
};

enum class ConsumerChange {
  Created,
  Unchanged,
  Updated,    // ack wait, max deliver or max ack pending changed in place
  Recreated,  // the filter changed: deleted and created again at its ack floor
};
std::string_view consumerChangeName(ConsumerChange change);

// Creates the consumer (explicit acks, one unacknowledged event at a time) or brings it to the settings.
// nats-server 2.9 refuses to change an existing consumer's filter subject, so a changed filter deletes
// the consumer and creates it again starting after its ack floor: nothing acknowledged runs again, and
// nothing unacknowledged is skipped.
Expected<ConsumerChange> ensureConsumer(const Connection& connection, const ConsumerSettings& settings);

// A pull subscription bound to the existing consumer (never creating one: ensureConsumer did).
Expected<SubscriptionPtr> bindConsumer(const Connection& connection, const ConsumerSettings& settings);

}  // namespace sgeventd::broker
