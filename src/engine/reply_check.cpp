#include "engine/reply_check.h"

#include <fmt/format.h>

namespace sgeventd::engine {

Expected<void> checkReply(const shotgrid::EventQuery& query, const std::vector<core::Event>& rows) {
  if (static_cast<int>(rows.size()) > query.limit) {
    return fail(fmt::format("{} rows for a page of at most {}", rows.size(), query.limit));
  }
  std::int64_t previous = query.after;
  for (const auto& row : rows) {
    if (row.id <= query.after) {
      return fail(fmt::format("event id {} is not above {}, as asked", row.id, query.after));
    }
    if (query.before && row.id >= *query.before) {
      return fail(fmt::format("event id {} is not below {}, as asked", row.id, *query.before));
    }
    if (row.id <= previous && &row != &rows.front()) {
      return fail(fmt::format("event id {} follows {}: not ascending, or repeated", row.id, previous));
    }
    // The first row of a head poll is measured from the head; a range read may start far below its rows.
    const bool measured = &row != &rows.front() || (!query.before && query.only.empty());
    if (measured && row.id - previous > kMaxIdJump) {
      return fail(fmt::format("event id {} is {} ids above {}, more than any event log grows", row.id,
                              row.id - previous, previous));
    }
    if (!query.only.empty()) {
      bool inside = false;
      for (const auto& [first, last] : query.only) {
        inside = inside || (row.id >= first && row.id <= last);
      }
      if (!inside) {
        return fail(fmt::format("event id {} is none of the ids asked for", row.id));
      }
    }
    previous = row.id;
  }
  return {};
}

void rejectBroken(const shotgrid::EventQuery& query, shotgrid::Result<std::vector<core::Event>>& reply) {
  if (reply) {
    if (auto checked = checkReply(query, *reply); !checked) {
      reply = tl::unexpected(shotgrid::ClientError{shotgrid::ErrorKind::Malformed,
                                                   "the reply breaks the query: " + checked.error().message});
    }
  }
}

}  // namespace sgeventd::engine
