#pragma once
// The allocation-lean form of eventFromJson for the fetch path: strings are moved out of `record`.
#include <nlohmann/json.hpp>
#include <vector>

#include "shotgrid/client.h"

namespace sgeventd::shotgrid {

Expected<core::Event> eventFromRecord(Json&& record);
// The fetch path's form: an ordered record keeps the site's key order in `Event::json`, which is the
// order Python plugins see when they iterate the event dict (`type, id, event_type, ...`).
Expected<core::Event> eventFromRecord(nlohmann::ordered_json&& record);

// A read reply's body as decodeOrderedResponse gives it, into its events: the general path, which
// findEvents takes for each reply the fast decoder (event_page.h) declines. A body of another shape, or
// a record without an integer id, is Malformed.
Result<std::vector<core::Event>> eventsFromBody(nlohmann::ordered_json&& body);

}  // namespace sgeventd::shotgrid
