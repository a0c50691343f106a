#pragma once
// A reply is checked against the query it answers before anything of it is applied: a site (or a proxy,
// or a bug) that ignores the id filter, repeats or reorders rows, or sends an absurd id would otherwise
// stall the fetcher silently or poison a cursor for good.
#include <cstdint>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/expected.h"
#include "shotgrid/event_reader.h"

namespace sgeventd::engine {

// No real event log grows by this many ids between two rows of one page; an id that far above the one
// before it is taken as a broken reply (it would also push every cursor next to the int64 limit).
inline constexpr std::int64_t kMaxIdJump = 1'000'000'000;

// Ok when every row is above `after` (and below `before`), inside one of `only` when given, strictly
// ascending, at most `limit` of them, and no id jumps more than kMaxIdJump over the row before it (the
// first row of a head poll: over `after`). The error names the offending value.
Expected<void> checkReply(const shotgrid::EventQuery& query, const std::vector<core::Event>& rows);

// A reply that breaks its query (checkReply) becomes a Malformed error that says how.
void rejectBroken(const shotgrid::EventQuery& query, shotgrid::Result<std::vector<core::Event>>& reply);

}  // namespace sgeventd::engine
