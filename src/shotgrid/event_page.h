#pragma once
// The event path's decoder: an api3 EventLogEntry `read` reply straight from its text into events, with
// simdjson On-Demand (one pass, no DOM). It only takes what it can give exactly the meaning the general
// decoder (response.h, then event_codec.h) would; everything else is left to that one.
#include <cstddef>
#include <optional>
#include <vector>

#include "core/event.h"
#include "shotgrid/http_transport.h"

namespace sgeventd::shotgrid {

// The events of a well-formed success reply `{"results": {"entities": [record, ...], ...}, ...}`, each
// with `json` and `metaJson` as the site's own text made compact. nullopt for any other reply: an HTTP
// or api3 error, another shape, a record the general decoder would refuse, a repeated key, or text
// simdjson refuses (bad JSON or UTF-8, numbers out of range, nesting deeper than kMaxEventPageDepth).
// The caller then decodes the reply the general way, which says what is wrong or decodes it the same.
// `expectedEvents` (the page size asked for) sizes the result up front. Uses a parser per thread;
// `response.body` needs no padding, but one with kBodyPadding spare capacity (as HttpTransport leaves
// it) is read without a copy.
std::optional<std::vector<core::Event>> decodeEventPage(const HttpResponse& response,
                                                        std::size_t expectedEvents);

// The deepest nesting the fast path reads, counted from the reply's top object (a record's fields are
// at level 4); deeper replies go the general way, which has no such limit.
inline constexpr int kMaxEventPageDepth = 64;

}  // namespace sgeventd::shotgrid
