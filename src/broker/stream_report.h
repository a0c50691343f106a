#pragma once
// What `sgeventd status` and the admin API show in broker mode: the site's stream and, from JetStream's
// consumer info, each plugin consumer's position, what it has still to take, and its redeliveries. Read
// from the servers on each call, so it is the same on the publisher's host and on a worker's.
#include <nlohmann/json.hpp>
#include <string>

#include "broker/connection.h"

namespace sgeventd::broker {

// {"stream": {name, messages, first_seq, last_seq, replicas}, "consumers": [{name, filter_subject,
//  delivered_seq, ack_floor_seq, num_pending, num_ack_pending, num_redelivered, num_waiting}]}
Expected<nlohmann::json> streamReport(const Connection& connection, const std::string& stream);

// The same as a table for the command line.
std::string formatStreamReport(const nlohmann::json& report);

}  // namespace sgeventd::broker
