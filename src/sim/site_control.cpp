// The /sim/... HTTP control endpoints: the same test controls as the C++ API, with JSON bodies.
//
//   POST /sim/events          {"count": N, "created_at"?: "YYYY-MM-DDTHH:MM:SSZ", "session_uuid"?, "seed"?}
//                             -> {"first": id, "last": id}
//   POST /sim/hide            {"ids": [..]} | {"first": a, "last": b} | {"next": N}
//                             plus "mode": "release" (default) | "never" | "until" with "until": datetime
//                             or "for_ms": N -> {"ids": [..]}
//   POST /sim/release         {"ids": [..]}; {} releases everything not hidden "never"
//   GET  /sim/hidden          -> {"ids": [..]}
//   POST /sim/faults          a FaultSpec (faults.h: kind, status, retry_after, error_code, message,
//                             delay_ms, count, probability, method); POST /sim/faults/clear
//   GET  /sim/counters        -> {"calls": {method: n}, "rows": {method: n}}; POST /sim/counters/reset
//   GET  /sim/status          -> {"last_event_id", "next_event_id", "event_count", "hidden"}
#include <chrono>

#include "shotgrid/datetime.h"
#include "sim/site_state.h"

namespace sgeventd::sim {
namespace {

HttpReply reply(int status, const Json& body) {
  HttpReply r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpReply badRequest(const std::string& message) { return reply(400, Json{{"error", message}}); }

}  // namespace

HttpReply Site::handleControl(const std::string& httpMethod, const std::string& path, std::string_view body) {
  Json in = body.empty() ? Json::object() : Json::parse(body, nullptr, false);
  if (in.is_discarded() || !in.is_object()) {
    return badRequest("the body must be a JSON object");
  }
  try {
    const bool post = httpMethod == "POST";
    if (post && path == "/sim/events") {
      SyntheticOptions options;
      if (in.contains("created_at")) {
        const auto t = shotgrid::parseDateTime(in["created_at"].get<std::string>());
        if (!t) {
          return badRequest("created_at must be YYYY-MM-DDTHH:MM:SSZ");
        }
        options.createdAt = *t;
      }
      if (in.contains("session_uuid")) {
        options.sessionUuid = in["session_uuid"].get<std::string>();
      }
      options.seed = in.value("seed", std::uint64_t{1});
      const auto count = in.value("count", std::int64_t{1});
      if (count < 0) {
        return badRequest("count must not be negative");
      }
      const IdRange range = appendSyntheticEvents(count, options);
      return reply(200, Json{{"first", range.first}, {"last", range.last}});
    }
    if (post && path == "/sim/hide") {
      HideSpec spec;
      const std::string mode =
          in.value("mode", in.contains("until") || in.contains("for_ms") ? "until" : "release");
      if (mode == "never") {
        spec = HideSpec::never();
      } else if (mode == "until") {
        if (in.contains("for_ms")) {
          spec = HideSpec::untilTime(clock()->now() +
                                     std::chrono::milliseconds(in["for_ms"].get<std::int64_t>()));
        } else {
          const auto t = shotgrid::parseDateTime(in.value("until", ""));
          if (!t) {
            return badRequest("until must be YYYY-MM-DDTHH:MM:SSZ");
          }
          spec = HideSpec::untilTime(*t);
        }
      } else if (mode != "release") {
        return badRequest("mode is release, never or until");
      }
      std::vector<std::int64_t> ids;
      if (in.contains("next")) {
        ids = hideNext(in["next"].get<std::int64_t>(), spec).ids();
      } else if (in.contains("first")) {
        const IdRange range{in["first"].get<std::int64_t>(),
                            in.value("last", in["first"].get<std::int64_t>())};
        if (range.size() > 10'000'000) {
          return badRequest("range too large");
        }
        hideRange(range, spec);
        ids = range.ids();
      } else {
        ids = in.value("ids", std::vector<std::int64_t>{});
        hideIds(ids, spec);
      }
      return reply(200, Json{{"ids", ids}});
    }
    if (post && path == "/sim/release") {
      if (in.contains("ids")) {
        release(in["ids"].get<std::vector<std::int64_t>>());
      } else {
        releaseAll();
      }
      return reply(200, Json{{"hidden", hiddenIds()}});
    }
    if (path == "/sim/hidden") {
      return reply(200, Json{{"ids", hiddenIds()}});
    }
    if (post && path == "/sim/faults") {
      auto spec = faultSpecFromJson(in);
      if (!spec) {
        return badRequest(spec.error().message);
      }
      injectFault(*spec);
      return reply(200, Json{{"pending", state_->faults.pending()}});
    }
    if (post && path == "/sim/faults/clear") {
      clearFaults();
      return reply(200, Json{{"pending", 0}});
    }
    if (path == "/sim/counters") {
      return reply(200, counters().toJson());
    }
    if (post && path == "/sim/counters/reset") {
      resetCounters();
      return reply(200, counters().toJson());
    }
    if (path == "/sim/status") {
      return reply(200, Json{{"last_event_id", lastEventId()},
                             {"next_event_id", nextEventId()},
                             {"event_count", eventCount()},
                             {"hidden", hiddenIds().size()}});
    }
  } catch (const Json::exception& e) {
    return badRequest(std::string("bad field type: ") + e.what());
  }
  return reply(404, Json{{"error", "no such control: " + httpMethod + " " + path}});
}

}  // namespace sgeventd::sim
