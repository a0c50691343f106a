#include "sim/event_log.h"

#include <algorithm>
#include <cstring>

namespace sgeventd::sim {

LinkRef EventLog::makeLink(const std::optional<NewEvent::Link>& link) {
  LinkRef ref;
  if (link) {
    ref.type = pool_.intern(link->type);
    ref.name = pool_.intern(link->name);
    ref.id = link->id;
  }
  return ref;
}

MetaRef EventLog::storeMeta(std::string_view text) {
  if (chunks_.empty() || lastChunkUsed_ + text.size() > chunkCapacity_.back()) {
    const std::size_t capacity = std::max(kChunkSize, text.size());
    chunks_.push_back(std::make_unique<char[]>(capacity));
    chunkCapacity_.push_back(capacity);
    lastChunkUsed_ = 0;
  }
  MetaRef ref{static_cast<std::uint32_t>(chunks_.size() - 1), static_cast<std::uint32_t>(lastChunkUsed_),
              static_cast<std::uint32_t>(text.size())};
  std::memcpy(chunks_.back().get() + lastChunkUsed_, text.data(), text.size());
  lastChunkUsed_ += text.size();
  return ref;
}

void EventLog::append(std::int64_t id, const NewEvent& event) {
  EventRow row;
  row.id = id;
  row.createdAt = event.createdAt;
  row.eventType = pool_.intern(event.eventType);
  row.attributeName = event.attributeName ? pool_.intern(*event.attributeName) : StringPool::kNone;
  row.sessionUuid = event.sessionUuid ? pool_.intern(*event.sessionUuid) : StringPool::kNone;
  row.meta = storeMeta(event.metaJson);
  row.entity = makeLink(event.entity);
  row.user = makeLink(event.user);
  row.project = makeLink(event.project);
  rows_.push_back(row);
}

EventLog::Mark EventLog::mark() const { return Mark{rows_.size(), chunks_.size(), lastChunkUsed_}; }

void EventLog::rollback(const Mark& mark) {
  rows_.resize(std::min(rows_.size(), mark.rows));
  while (chunks_.size() > mark.chunks) {
    chunks_.pop_back();
    chunkCapacity_.pop_back();
  }
  lastChunkUsed_ = mark.lastChunkUsed;
}

std::size_t EventLog::lowerBound(std::int64_t id) const {
  auto it = std::lower_bound(rows_.begin(), rows_.end(), id,
                             [](const EventRow& row, std::int64_t v) { return row.id < v; });
  return static_cast<std::size_t>(it - rows_.begin());
}

const EventRow* EventLog::find(std::int64_t id) const {
  const auto i = lowerBound(id);
  return i < rows_.size() && rows_[i].id == id ? &rows_[i] : nullptr;
}

std::string_view EventLog::meta(const EventRow& row) const {
  return std::string_view(chunks_[row.meta.chunk].get() + row.meta.offset, row.meta.length);
}

}  // namespace sgeventd::sim
