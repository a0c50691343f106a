#pragma once
// The embedded HTTP server shared by the simulated site, and later the admin API and webhooks: binding
// (port 0 picks a free port), the listener thread and its worker pool, keep-alive and timeout settings,
// one request log line per request. Handlers see small request and response types; cpp-httplib stays an
// implementation detail of this room.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/expected.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace sgeventd::http {

class KeepAliveServer;

// With a charset, as ShotGrid sites send it. cpp-httplib never compresses it (it compresses only a few
// bare types); replies are gzipped by Server when ServerOptions::maxConnections is set (http/gzip.h).
inline constexpr const char* kJsonContentType = "application/json; charset=utf-8";

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port; read it from Server::port() after start()
  // A keep-alive connection holds one worker thread while it is open; 0 keeps cpp-httplib's default
  // (at least 8, or the number of cores less one).
  std::size_t workerThreads = 0;
  std::size_t keepAliveMaxCount = 1000;  // requests per connection
  std::chrono::seconds keepAliveTimeout{10};
  std::chrono::seconds readTimeout{30};
  std::chrono::seconds writeTimeout{30};
  std::size_t payloadMaxBytes = std::size_t{1} << 20;  // a larger request body is refused with 413
  // For servers that many long-lived clients keep connections to (the simulated site). Above 0: one
  // thread per open connection up to this many, instead of the fixed pool of workerThreads that makes the
  // next client wait for a connection to close; idle connections wait without waking up, and the server's
  // own closes leave the read side open (http/keep_alive_server.h); replies are gzipped at gzipLevel
  // (0: never) for a client that sends Accept-Encoding: gzip. 0 keeps cpp-httplib's own loop.
  std::size_t maxConnections = 0;
  int gzipLevel = 1;
};

// A view of one request, valid while the handler runs.
class Request {
 public:
  explicit Request(const httplib::Request& request) : request_(request) {}
  const std::string& method() const;
  const std::string& path() const;
  const std::string& body() const;
  // The first value of a header (names are case-insensitive), or nullopt.
  std::optional<std::string> header(const std::string& name) const;
  // The first value of a query parameter (decoded), or nullopt.
  std::optional<std::string> query(const std::string& name) const;
  // Capture group `index` of the route's pattern (1 is the first group); empty when there is none.
  std::string pathGroup(std::size_t index) const;
  const std::string& remoteAddress() const;

 private:
  const httplib::Request& request_;
};

struct Response {
  int status = 200;
  std::string body;
  std::string contentType = kJsonContentType;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Retry-After, ...)
  // For fault injection: announce the whole body in Content-Length, send only this many bytes of it,
  // then drop the connection (a reply cut off by a failing proxy).
  std::optional<std::size_t> dropAfterBytes;
};

using Handler = std::function<Response(const Request&)>;

class Server {
 public:
  explicit Server(ServerOptions options = {});
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Routes match the whole path as an ECMAScript regular expression. Add them before start().
  void get(std::string pattern, Handler handler);
  void post(std::string pattern, Handler handler);
  // Any of GET, POST, PUT, DELETE, PATCH, OPTIONS (so a route can answer a wrong method with 405).
  void route(std::string_view method, std::string pattern, Handler handler);
  // Called once per request with a one-line summary ("POST /api3/json 200 1.2ms"); off when unset.
  void setRequestLog(std::function<void(std::string_view)> log);

  Expected<void> start();  // binds, starts the listener thread, returns once it accepts connections
  void stop();             // stops accepting, finishes the requests in flight, joins the threads

  int port() const { return port_; }
  const std::string& host() const { return options_.host; }
  std::string url() const;  // "http://127.0.0.1:PORT"

 private:
  enum class Method { Get, Post, Put, Delete, Patch, Options };
  struct Route {
    Method method;
    std::string pattern;
    Handler handler;
  };

  ServerOptions options_;
  int port_;
  std::vector<Route> routes_;
  std::function<void(std::string_view)> log_;
  std::unique_ptr<httplib::Server> http_;
  KeepAliveServer* keepAlive_ = nullptr;  // http_ itself, when maxConnections is set
  std::thread thread_;
};

}  // namespace sgeventd::http
