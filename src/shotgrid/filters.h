#pragma once
// User-side filter and order syntax (shotgun_api3's lists) translated to the api3 wire form (protocol doc
// §1.5).
#include <string_view>

#include "shotgrid/client.h"

namespace sgeventd::shotgrid {

// [["code","is","x"], {"filter_operator":"any","filters":[...]}] ->
// {"logical_operator":"and","conditions":[{"path":"code","relation":"is","values":["x"]}, {...}]}.
// Also accepts null (no filters), a top-level {"filter_operator","filters"} dict, and the wire form itself.
Result<Json> translateFilters(const Json& filters, std::string_view filterOperator = "all");

// [{"column"|"field_name": f, "direction"?: "asc"|"desc"}] -> [{"field_name": f, "direction": ...}].
Result<Json> translateOrder(const Json& order);

// An entity dict cut down to the keys the server needs in a filter value (id, type, url, name, ...).
Json minimizeEntity(const Json& entity);

}  // namespace sgeventd::shotgrid
