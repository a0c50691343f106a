#pragma once
// The JSON of /api/v1/status, /api/v1/plugins and /api/v1/failures: the contract the status page and
// `sgeventd status` read (docs/operations.md lists every field). Times are ISO 8601 in UTC.
#include <nlohmann/json.hpp>
#include <string>

#include "admin/event_rate.h"
#include "admin/readiness.h"
#include "engine/engine.h"
#include "store/state_store.h"

namespace sgeventd::admin {

struct DaemonFacts {
  std::string site;     // the [shotgun] server
  std::string version;  // sgeventd's
  long pid = 0;
  core::TimePoint startedAt{};
};

std::string isoTime(core::TimePoint t);  // "2026-12-01T23:24:53Z"

// "active", "retrying", "deactivated", "disabled", "load_failed".
std::string_view pluginStateText(engine::MemberState state);

nlohmann::json pluginJson(const engine::MemberStatus& plugin, const engine::EngineStatus& status,
                          const EventRate& rate, core::TimePoint now);

nlohmann::json statusJson(const DaemonFacts& facts, const engine::EngineStatus& status,
                          const Readiness& readiness, bool stopping, const EventRate& rate,
                          core::TimePoint now);

// One failure record; `withEvent` adds the event the record keeps (the detail view).
nlohmann::json failureJson(const store::FailureRecord& record, bool withEvent);

// Serialised without throwing on text that is not UTF-8 (a plugin's traceback may hold anything).
std::string dumpJson(const nlohmann::json& value);

}  // namespace sgeventd::admin
