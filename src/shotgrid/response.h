#pragma once
// Turning one HTTP exchange into a decoded api3 reply or a typed ClientError (protocol doc §1.3).
#include <string>

#include "shotgrid/client.h"
#include "shotgrid/http_transport.h"

namespace sgeventd::shotgrid {

// PA's wording for a 503.
inline constexpr const char* kMaintenanceMessage =
    "Flow Production Tracking is currently down for maintenance or too busy to reply. Please try again "
    "later.";

// Every occurrence of `secret` in `text` replaced by "***" (a no-op for an empty secret).
std::string redact(std::string text, const std::string& secret);

ClientError errorFromTransport(const TransportFailure& failure);

// HTTP status, JSON syntax and the api3 `exception` body; on success the whole decoded body.
Result<Json> decodeResponse(const HttpResponse& response);
// The same with every object's keys in the reply's order (the event path: plugins see the site's order).
Result<nlohmann::ordered_json> decodeOrderedResponse(const HttpResponse& response);

// The value of `results`, or the body itself when it has none (PA does the same).
Json takeResults(Json&& body);
nlohmann::ordered_json takeResults(nlohmann::ordered_json&& body);

// The `entities` list of a read's results, or a Malformed error when they have none.
Result<Json> entitiesOf(Json&& results);
Result<nlohmann::ordered_json> entitiesOf(nlohmann::ordered_json&& results);

// Whether a failed attempt may be sent again: reads on transient failures, writes only when the request
// provably never left this machine.
bool isRetryable(const ClientError& error, bool idempotent, bool neverConnected);

}  // namespace sgeventd::shotgrid
