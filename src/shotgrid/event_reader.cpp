#include "shotgrid/client.h"

namespace sgeventd::shotgrid {

Result<std::vector<core::Event>> Client::readEvents(const EventQuery& query) {
  Json filters = Json::array({Json::array({"id", "greater_than", query.after})});
  if (query.before) {
    filters.push_back(Json::array({"id", "less_than", *query.before}));
  }
  if (!query.only.empty()) {
    // Only the named ids are asked for, so re-checking open gaps costs their size, whatever follows them.
    Json any = Json::array();
    for (const auto& [first, last] : query.only) {
      if (first == last) {
        any.push_back(Json::array({"id", "is", first}));
      } else {
        any.push_back(Json::array({"id", "between", Json::array({first, last})}));
      }
    }
    filters.push_back(Json{{"filter_operator", "any"}, {"filters", any}});
  }
  return findEvents(filters, query.limit);
}

Result<std::int64_t> Client::newestEventId() {
  FindOptions opts;
  opts.order = Json::array({{{"field_name", "id"}, {"direction", "desc"}}});
  auto row = findOne("EventLogEntry", Json::array(), {"id"}, opts);
  if (!row) {
    return tl::unexpected(row.error());
  }
  if (row->is_object() && row->contains("id") && (*row)["id"].is_number_integer()) {
    return (*row)["id"].get<std::int64_t>();
  }
  return std::int64_t{0};  // an empty event log is a fine place to start
}

}  // namespace sgeventd::shotgrid
