#pragma once
// What the engine needs from a site: EventLogEntry rows by id range, and the newest id. The api3 Client
// implements it; the engine's tests use a scripted one, so the fetcher and the lanes are tested alone.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "core/event.h"
#include "core/expected.h"
#include "shotgrid/client_error.h"

namespace sgeventd::shotgrid {

// Ids above `after` (and below `before` when set), restricted to the `only` ranges when there are any,
// ascending, at most `limit` rows.
struct EventQuery {
  std::int64_t after = 0;
  std::optional<std::int64_t> before;
  std::vector<std::pair<std::int64_t, std::int64_t>> only;  // [first, last] each
  int limit = 500;
};

class EventReader {
 public:
  virtual ~EventReader() = default;
  virtual Result<std::vector<core::Event>> readEvents(const EventQuery& query) = 0;
  // The newest id in the log; 0 for an empty log.
  virtual Result<std::int64_t> newestEventId() = 0;
};
using EventReaderPtr = std::unique_ptr<EventReader>;

}  // namespace sgeventd::shotgrid
