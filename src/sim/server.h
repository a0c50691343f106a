#pragma once
// Serves a Site over HTTP: POST [/prefix]/api3/json (the api3 protocol) and the /sim/... test controls.
// The listener, its threads and settings are http::Server's; this file only routes requests to the site.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/expected.h"
#include "http/server.h"

namespace sgeventd::sim {

class Site;

// A site sits behind a load balancer that keeps idle connections for minutes (libcurl itself reuses one
// for up to 118 s), and plugin authors run many plugins, each with its own connection.
inline constexpr std::chrono::seconds kIdleTimeout{300};
inline constexpr std::size_t kMaxConnections = 512;

// The sim's HTTP settings: kIdleTimeout, kMaxConnections, gzip at level 1 (nginx's default), 64 MiB bodies.
http::ServerOptions serverOptions(std::string host = "127.0.0.1", int port = 0);

class Server {
 public:
  // port 0 picks a free port; read it from port() after start().
  explicit Server(Site& site, std::string host = "127.0.0.1", int port = 0);
  Server(Site& site, http::ServerOptions options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Called once per request with a one-line summary ("POST /api3/json 200 1.2ms"); off when unset.
  void setRequestLog(std::function<void(std::string_view)> log) { http_.setRequestLog(std::move(log)); }
  Expected<void> start() { return http_.start(); }  // binds, returns once it accepts connections
  int port() const { return http_.port(); }
  const std::string& host() const { return http_.host(); }
  std::string url() const { return http_.url(); }  // "http://127.0.0.1:PORT"
  void stop() { http_.stop(); }

 private:
  http::Server http_;
};

}  // namespace sgeventd::sim
