#pragma once
// Fault injection for the simulated site: what a flaky site, proxy or network does to a call.
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/expected.h"
#include "sim/schema.h"

namespace sgeventd::sim {

enum class FaultKind {
  HttpStatus,       // an HTTP error status (500/502/503/504 or any other) with a short text body
  TooManyRequests,  // HTTP 429 with `Retry-After: retryAfterSeconds`
  Api3Exception,    // HTTP 200 {"exception":true,"error_code":errorCode,"message":...}
  Slow,             // the normal reply, after delayMs
  ConnectionReset,  // advertises a Content-Length, sends half the body, closes the connection
  TruncatedJson,    // HTTP 200 whose JSON body is cut in half (Content-Length matches the cut body)
};

struct FaultSpec {
  FaultKind kind = FaultKind::HttpStatus;
  int httpStatus = 503;
  int retryAfterSeconds = 1;
  int errorCode = 103;
  std::string message;  // api3 message; a default per code when empty
  int delayMs = 0;      // Slow
  // When it fires: for the next `count` matching calls (count > 0), or on every matching call with
  // `probability` (count == 0; 1.0 = always until cleared).
  int count = 1;
  double probability = 1.0;
  std::optional<std::string> method;  // api3 method_name it applies to; every method when empty
};

Expected<FaultSpec> faultSpecFromJson(const Json& json);  // the /sim/faults body
Json faultSpecToJson(const FaultSpec& spec);

class FaultPlan {
 public:
  explicit FaultPlan(std::uint64_t seed = 42) : rng_(seed) {}
  void reseed(std::uint64_t seed);
  void add(FaultSpec spec);
  void clear();
  std::size_t pending() const;
  // The fault to apply to this call, consuming one use of a counted fault. First match wins.
  std::optional<FaultSpec> next(const std::string& method);

 private:
  mutable std::mutex mutex_;
  std::vector<FaultSpec> faults_;
  std::mt19937_64 rng_;
};

}  // namespace sgeventd::sim
