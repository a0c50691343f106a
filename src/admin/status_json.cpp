#include "admin/status_json.h"

#include <cmath>

#include "shotgrid/datetime.h"

namespace sgeventd::admin {
namespace {

nlohmann::json optionalTime(const std::optional<core::TimePoint>& t) {
  return t ? nlohmann::json(isoTime(*t)) : nlohmann::json(nullptr);
}

}  // namespace

std::string isoTime(core::TimePoint t) { return shotgrid::formatDateTime(t); }

std::string_view pluginStateText(engine::MemberState state) {
  switch (state) {
    case engine::MemberState::Active:
      return "active";
    case engine::MemberState::Retrying:
      return "retrying";
    case engine::MemberState::Deactivated:
      return "deactivated";
    case engine::MemberState::Disabled:
      return "disabled";
    case engine::MemberState::LoadFailed:
      return "load_failed";
  }
  return "active";
}

nlohmann::json pluginJson(const engine::MemberStatus& m, const engine::EngineStatus& status,
                          const EventRate& rate, core::TimePoint now) {
  const std::int64_t head = status.fetcher.head;
  const std::int64_t lagEvents = head > m.cursor ? head - m.cursor : 0;
  nlohmann::json lagSeconds = nullptr;
  if (lagEvents == 0) {
    lagSeconds = 0;
  } else if (status.headCreatedAt && m.lastEventCreatedAt) {
    const double seconds =
        std::chrono::duration<double>(*status.headCreatedAt - *m.lastEventCreatedAt).count();
    lagSeconds = std::max(0.0, std::round(seconds * 1000) / 1000);
  }
  nlohmann::json out{
      {"name", m.id.name},
      {"key", m.id.key()},
      {"path", m.id.path.string()},
      {"collection", m.id.collection},
      {"state", pluginStateText(m.state)},
      {"reason", m.reason},
      {"reload_error", m.reloadError},
      {"cursor", m.cursor},
      {"lag_events", lagEvents},
      {"lag_seconds", lagSeconds},
      {"last_event_id", m.lastEventId},
      {"last_event_created_at", optionalTime(m.lastEventCreatedAt)},
      {"processed", m.processed},
      {"failures", m.failures},
      {"retries", m.retries},
      {"skipped", m.skipped},
      {"last_error", m.lastError},
      {"in_callback_since", optionalTime(m.inCallbackSince)},
      {"in_callback", m.inCallbackSince
                          ? nlohmann::json({{"callback", m.inCallback}, {"event_id", m.inCallbackEvent}})
                          : nlohmann::json(nullptr)},
      {"stuck_after", m.stuckAfter ? nlohmann::json(std::chrono::duration<double>(*m.stuckAfter).count())
                                   : nlohmann::json(nullptr)},
      {"stuck", m.stuck},
      {"events_per_minute", rate.perMinute(now, m.id.key())},
  };
  nlohmann::json backlog = nlohmann::json::array();
  for (const auto& gap : m.backlog) {
    backlog.push_back({{"first", gap.first}, {"last", gap.last}});
  }
  out["backlog"] = std::move(backlog);
  return out;
}

nlohmann::json statusJson(const DaemonFacts& facts, const engine::EngineStatus& status,
                          const Readiness& readiness, bool stopping, const EventRate& rate,
                          core::TimePoint now) {
  nlohmann::json plugins = nlohmann::json::array();
  for (const auto& m : status.plugins) {
    plugins.push_back(pluginJson(m, status, rate, now));
  }
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(now - facts.startedAt).count();
  return nlohmann::json{
      {"site", facts.site},
      {"version", facts.version},
      {"pid", facts.pid},
      {"started_at", isoTime(facts.startedAt)},
      {"uptime_seconds", std::max<std::int64_t>(0, uptime)},
      {"state", stopping ? "stopping" : "running"},
      {"ready", readiness.ready},
      {"ready_reason", readiness.reason},
      {"head",
       {{"id", status.fetcher.head > 0 ? nlohmann::json(status.fetcher.head) : nlohmann::json(nullptr)},
        {"created_at", optionalTime(status.headCreatedAt)}}},
      {"fetcher",
       {{"last_contact", optionalTime(status.fetcher.lastContact)},
        {"consecutive_protocol_errors", status.fetcher.consecutiveProtocolErrors},
        {"consecutive_failures", status.fetcher.consecutiveFailures},
        {"last_error", status.fetcher.lastError},
        {"open_gap_ids", status.fetcher.openGapIds}}},
      {"plugins", std::move(plugins)},
  };
}

nlohmann::json failureJson(const store::FailureRecord& r, bool withEvent) {
  nlohmann::json out{
      {"id", r.id},
      {"plugin", r.plugin},
      {"collection", r.collection},
      {"key", r.collection + "::" + r.plugin},
      {"callback", r.callback},
      {"event_id", r.eventId},
      {"attempts", r.attempts},
      {"error", r.error},
      {"at", isoTime(r.at)},
      {"final", r.final},
      {"replayable", !r.eventJson.empty()},
  };
  if (withEvent) {
    auto event = nlohmann::json::parse(r.eventJson, nullptr, false);
    out["event"] = event.is_discarded() ? nlohmann::json(nullptr) : event;
  }
  return out;
}

std::string dumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sgeventd::admin
