#pragma once
// Persists a whole simulated site in one SQLite file: entities, schema additions, the event log and the
// id counters. Writes are incremental (what changed since the last call), each in one transaction.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/expected.h"
#include "sim/event_log.h"
#include "sim/records.h"
#include "sim/schema.h"

namespace sgeventd::sim {

struct LoadedSite {
  std::map<std::string, std::map<std::int64_t, EntityRow>> entities;
  std::map<std::string, std::int64_t> nextIds;  // per entity type, plus "EventLogEntry"
  std::vector<std::pair<std::string, std::pair<std::string, FieldSchema>>> addedFields;  // type, field
};

struct EntityChange {
  std::string type;
  const EntityRow* row = nullptr;  // null: the row no longer exists (a rolled-back create)
  std::int64_t id = 0;
};

class Persistence {
 public:
  static Expected<std::unique_ptr<Persistence>> open(const std::string& path);
  ~Persistence();
  Persistence(const Persistence&) = delete;
  Persistence& operator=(const Persistence&) = delete;

  // Reads everything; events go straight into `log`.
  Expected<LoadedSite> load(EventLog& log);
  Expected<void> save(const std::vector<EntityChange>& entities,
                      const std::vector<std::pair<std::string, std::pair<std::string, FieldSchema>>>& fields,
                      const EventLog& log, std::size_t firstEventRow,
                      const std::map<std::string, std::int64_t>& nextIds);

 private:
  struct Impl;
  explicit Persistence(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sgeventd::sim
