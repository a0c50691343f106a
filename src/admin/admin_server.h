#pragma once
// The admin HTTP server: the JSON API (status, plugins, failures, control), /metrics, /healthz,
// /readyz and the status page. It reads the engine through its status seam and changes it only through
// Engine::control, so what it does is applied by the lanes between events and persisted like any other
// operator request. The token rule (token.h) guards every call that changes something.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "admin/event_rate.h"
#include "admin/status_json.h"
#include "admin/token.h"
#include "core/clock.h"
#include "core/expected.h"
#include "core/log.h"
#include "core/metrics_registry.h"
#include "engine/engine.h"
#include "http/server.h"
#include "store/state_store.h"

namespace sgeventd::admin {

struct AdminOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free one; port() says which
  bool loopback = true;
  std::string token;  // empty: none (allowed on loopback only; the config enforces it)
  std::chrono::milliseconds fetchInterval{5000};
  std::chrono::seconds stuckAfter{300};
  std::size_t threads = 4;
  std::chrono::milliseconds sampleEvery{5000};  // how often events per minute are sampled
};

// What the server reads and drives: the engine's seams as functions, so tests can stand in for them.
// Broker mode (docs/scaling-out.md): what the servers say, for /api/v1/status and /api/v1/broker/failures.
struct BrokerViews {
  std::function<nlohmann::json()> status;  // the publisher and the stream's consumers
  // The failures stream's newest records (of one plugin when given), newest first.
  std::function<Expected<nlohmann::json>(const std::optional<std::string>& plugin, int limit)> failures;
};

struct AdminDeps {
  std::function<engine::EngineStatus()> status;
  std::function<Expected<void>(const engine::ControlRequest&)> control;
  std::function<void()> pollNow;
  store::StateStore& store;
  std::shared_ptr<core::MetricsRegistry> metrics;
  core::ClockPtr clock;
  core::LoggerPtr log;
  DaemonFacts facts;
  std::function<bool()> stopping;  // a stop was requested
  BrokerViews broker;              // empty unless in broker mode
};

class AdminServer {
 public:
  AdminServer(AdminOptions options, AdminDeps deps);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  Expected<void> start();
  void stop();
  int port() const { return http_.port(); }
  std::string url() const;  // "http://127.0.0.1:8480"

  // One sample of every plugin's processed counter (the sampler thread calls it; tests too).
  void sampleRates();

  // One request through the routes, the token rule and the handler: the HTTP server hands every request
  // it parsed to this, and the fuzz target (fuzz/admin_request_fuzz.cpp) calls it without a socket. The
  // routing is done here rather than by cpp-httplib so that both take the same path from the request to
  // the answer. Safe to call from several threads at once, before start() too.
  http::Response dispatch(const http::Request& request);

 private:
  void recordRates(const engine::EngineStatus& status);

 private:
  struct Route;
  void addRoutes();
  // `group`: the route pattern's capture group (the plugin or failure named in the path), or empty.
  http::Response handle(const Route& route, const http::Request& request, const std::string& group);

  AdminOptions options_;
  AdminDeps deps_;
  TokenRule rule_;
  EventRate rate_;
  http::Server http_;
  std::vector<std::shared_ptr<Route>> routes_;

  std::mutex sampleMutex_;
  std::condition_variable sampleWake_;
  bool stopSampling_ = false;
  std::thread sampler_;
};

}  // namespace sgeventd::admin
