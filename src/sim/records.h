#pragma once
// What the filter engine and the readers see of a row: an entity row (fields as stored) or an event row.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/expected.h"
#include "sim/event_log.h"
#include "sim/schema.h"

namespace sgeventd::sim {

// An api3 fault: 102 authentication, 103 bad parameters, 104 a write the site refuses.
struct ApiError {
  int code = 103;
  std::string message;
};
template <class T>
using ApiResult = Expected<T, ApiError>;

[[nodiscard]] inline tl::unexpected<ApiError> apiFail(int code, std::string message) {
  return tl::unexpected<ApiError>(ApiError{code, std::move(message)});
}

// Stored entity: field values as written (links trimmed to {type,id}; names are resolved at read time).
struct EntityRow {
  std::int64_t id = 0;
  bool retired = false;
  Json fields = Json::object();
};

struct Record {
  const EntityRow* entity = nullptr;
  const EventRow* event = nullptr;
  std::int64_t id() const { return entity ? entity->id : event->id; }
};

// A (possibly dotted) path resolved against the schema: the final field's schema and whether a hop
// went through a multi-entity field (then the value is a list and conditions match any element).
struct PathInfo {
  FieldSchema schema;
  bool throughMulti = false;
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual std::optional<PathInfo> pathInfo(const std::string& entityType, const std::string& path) const = 0;
  // The value as a read returns it (links as {type,id,name}); deep paths through multi-entity fields give a
  // list.
  virtual Json pathValue(const std::string& entityType, const Record& record,
                         const std::string& path) const = 0;
  virtual std::int64_t nowSeconds() const = 0;
};

}  // namespace sgeventd::sim
