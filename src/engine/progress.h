#pragma once
// A plugin's position in the log: every id <= cursor is done except the backlog, the ids skipped by the
// log that may still commit. The cursor only moves forward (the original moved it back, spec §4.7).
#include <cstdint>
#include <vector>

#include "engine/range_set.h"
#include "store/state_store.h"

namespace sgeventd::engine {

class Progress {
 public:
  Progress() = default;
  Progress(std::int64_t cursor, const std::vector<GapRange>& backlog) : cursor_(cursor), backlog_(backlog) {}

  std::int64_t cursor() const { return cursor_; }
  const RangeSet& backlog() const { return backlog_; }

  // True when the event still has to be processed here.
  bool wants(std::int64_t id) const { return id > cursor_ || backlog_.contains(id); }
  bool isLate(std::int64_t id) const { return id <= cursor_ && backlog_.contains(id); }

  // Before processing the in-order event `id`: the ids between the cursor and it that are open gaps.
  void backlogGaps(const std::vector<GapRange>& openGaps) { backlog_.addMissing(openGaps); }
  // After processing `id`: an in-order event raises the cursor; a late one leaves the backlog.
  void markDone(std::int64_t id);
  // Ids [first, last] leave the backlog without being processed (they never committed).
  void forget(std::int64_t first, std::int64_t last) { backlog_.removeRange(first, last); }

  store::Checkpoint checkpoint(const std::string& collection, const std::string& plugin) const {
    store::Checkpoint out;
    fillCheckpoint(out, collection, plugin);
    return out;
  }
  // The same into a checkpoint kept from before, whose strings keep their buffers.
  void fillCheckpoint(store::Checkpoint& out, const std::string& collection,
                      const std::string& plugin) const {
    out.collection.assign(collection);
    out.plugin.assign(plugin);
    out.cursor = cursor_;
    out.gaps = backlog_.ranges();
  }

 private:
  std::int64_t cursor_ = 0;
  RangeSet backlog_;
};

}  // namespace sgeventd::engine
