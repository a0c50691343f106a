#pragma once
// The EventLogEntry table, stored compactly: one fixed-size row per event, strings interned, `meta`
// kept as pre-serialized JSON text in a chunked arena. A million events take ~250 MB instead of the
// gigabytes a nlohmann object per row would. Rows are appended in id order, so lookups are binary searches.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/string_pool.h"

namespace sgeventd::sim {

struct LinkRef {
  std::uint32_t type = StringPool::kNone;  // pool id of the entity type; kNone = null link
  std::uint32_t name =
      StringPool::kNone;  // pool id of the name at write time (fallback when the target is gone)
  std::int64_t id = 0;
  bool present() const { return type != StringPool::kNone; }
};

struct MetaRef {
  std::uint32_t chunk = 0;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

struct EventRow {
  std::int64_t id = 0;
  std::int64_t createdAt = 0;  // unix seconds, UTC
  std::uint32_t eventType = StringPool::kNone;
  std::uint32_t attributeName = StringPool::kNone;
  std::uint32_t sessionUuid = StringPool::kNone;
  MetaRef meta;
  LinkRef entity;
  LinkRef user;
  LinkRef project;
};

// What a writer hands to append(): plain strings, interned on the way in.
struct NewEvent {
  std::int64_t createdAt = 0;
  std::string eventType;
  std::optional<std::string> attributeName;
  std::optional<std::string> sessionUuid;
  std::string metaJson = "null";
  struct Link {
    std::string type;
    std::int64_t id = 0;
    std::string name;
  };
  std::optional<Link> entity;
  std::optional<Link> user;
  std::optional<Link> project;
};

class EventLog {
 public:
  // Rolls the log back to an earlier state (batch atomicity).
  struct Mark {
    std::size_t rows = 0;
    std::size_t chunks = 0;
    std::size_t lastChunkUsed = 0;
  };

  void append(std::int64_t id, const NewEvent& event);
  Mark mark() const;
  void rollback(const Mark& mark);
  void reserve(std::size_t rows) { rows_.reserve(rows); }

  const std::vector<EventRow>& rows() const { return rows_; }
  std::size_t size() const { return rows_.size(); }
  // Index of the first row with id >= `id` (rows.size() when none).
  std::size_t lowerBound(std::int64_t id) const;
  const EventRow* find(std::int64_t id) const;

  std::string_view meta(const EventRow& row) const;
  const StringPool& pool() const { return pool_; }
  StringPool& pool() { return pool_; }
  LinkRef makeLink(const std::optional<NewEvent::Link>& link);

 private:
  MetaRef storeMeta(std::string_view text);

  static constexpr std::size_t kChunkSize = 4u << 20;
  std::vector<EventRow> rows_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<std::size_t> chunkCapacity_;
  std::size_t lastChunkUsed_ = 0;
  StringPool pool_;
};

}  // namespace sgeventd::sim
