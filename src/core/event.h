#pragma once
// One EventLogEntry row as the engine and the plugins see it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sgeventd::core {

using TimePoint = std::chrono::system_clock::time_point;

struct EntityRef {
  std::string type;
  std::int64_t id = 0;
  std::string name;  // empty when the server sent none
};

struct Event {
  std::int64_t id = 0;
  std::string eventType;
  std::optional<std::string> attributeName;  // null for _New, _Retirement, ...
  std::optional<EntityRef> entity;
  std::optional<EntityRef> user;
  std::optional<EntityRef> project;
  std::optional<std::string> sessionUuid;
  std::optional<TimePoint> createdAt;
  std::string metaJson = "null";  // the `meta` value as compact JSON text
  std::string json;               // the whole record as compact JSON, in api3 wire shape
};

using EventPtr = std::shared_ptr<const Event>;

}  // namespace sgeventd::core
