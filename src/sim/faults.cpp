#include "sim/faults.h"

#include <utility>

namespace sgeventd::sim {
namespace {

struct KindName {
  FaultKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {FaultKind::HttpStatus, "http_status"},           {FaultKind::TooManyRequests, "too_many_requests"},
    {FaultKind::Api3Exception, "api3_exception"},     {FaultKind::Slow, "slow"},
    {FaultKind::ConnectionReset, "connection_reset"}, {FaultKind::TruncatedJson, "truncated_json"},
};

}  // namespace

Expected<FaultSpec> faultSpecFromJson(const Json& json) {
  if (!json.is_object() || !json.contains("kind") || !json["kind"].is_string()) {
    return fail(
        "fault needs a \"kind\": http_status, too_many_requests, api3_exception, slow, "
        "connection_reset or truncated_json");
  }
  FaultSpec spec;
  const auto kind = json["kind"].get<std::string>();
  bool known = false;
  for (const auto& k : kKinds) {
    if (kind == k.name) {
      spec.kind = k.kind;
      known = true;
    }
  }
  if (!known) {
    return fail("unknown fault kind '" + kind + "'");
  }
  try {
    spec.httpStatus = json.value("status", spec.kind == FaultKind::TooManyRequests ? 429 : 503);
    spec.retryAfterSeconds = json.value("retry_after", 1);
    spec.errorCode = json.value("error_code", 103);
    spec.message = json.value("message", std::string());
    spec.delayMs = json.value("delay_ms", 0);
    spec.count = json.value("count", json.contains("probability") ? 0 : 1);
    spec.probability = json.value("probability", 1.0);
    if (json.contains("method") && json["method"].is_string()) {
      spec.method = json["method"].get<std::string>();
    }
  } catch (const Json::exception& e) {
    return fail(std::string("bad fault field: ") + e.what());
  }
  if (spec.count < 0 || spec.probability < 0.0 || spec.probability > 1.0 || spec.delayMs < 0) {
    return fail("fault count, probability (0..1) and delay_ms must not be negative");
  }
  return spec;
}

Json faultSpecToJson(const FaultSpec& spec) {
  Json json;
  for (const auto& k : kKinds) {
    if (k.kind == spec.kind) {
      json["kind"] = k.name;
    }
  }
  json["status"] = spec.httpStatus;
  json["retry_after"] = spec.retryAfterSeconds;
  json["error_code"] = spec.errorCode;
  json["message"] = spec.message;
  json["delay_ms"] = spec.delayMs;
  json["count"] = spec.count;
  json["probability"] = spec.probability;
  json["method"] = spec.method ? Json(*spec.method) : Json(nullptr);
  return json;
}

void FaultPlan::reseed(std::uint64_t seed) {
  std::lock_guard lock(mutex_);
  rng_.seed(seed);
}

void FaultPlan::add(FaultSpec spec) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(spec));
}

void FaultPlan::clear() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

std::size_t FaultPlan::pending() const {
  std::lock_guard lock(mutex_);
  return faults_.size();
}

std::optional<FaultSpec> FaultPlan::next(const std::string& method) {
  std::lock_guard lock(mutex_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->method && *it->method != method) {
      continue;
    }
    if (it->count > 0) {
      FaultSpec fired = *it;
      if (--it->count == 0) {
        faults_.erase(it);
      }
      return fired;
    }
    if (std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < it->probability) {
      return *it;
    }
  }
  return std::nullopt;
}

}  // namespace sgeventd::sim
