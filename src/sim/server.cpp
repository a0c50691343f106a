#include "sim/server.h"

#include <chrono>
#include <thread>

#include "sim/site.h"

namespace sgeventd::sim {
namespace {

// Batch creates and large filters: a real site accepts requests of tens of megabytes.
constexpr std::size_t kPayloadMax = 64u << 20;

http::Response toResponse(HttpReply&& reply) {
  if (reply.delayMs > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(reply.delayMs));  // FaultKind::Slow
  }
  http::Response response;
  response.status = reply.status;
  response.headers = std::move(reply.headers);
  response.contentType = std::move(reply.contentType);
  if (reply.delivery == HttpReply::Delivery::ResetHalfway) {
    response.dropAfterBytes = reply.body.size() / 2;
  }
  response.body = std::move(reply.body);
  return response;
}

}  // namespace

http::ServerOptions serverOptions(std::string host, int port) {
  http::ServerOptions options;
  options.host = std::move(host);
  options.port = port;
  options.payloadMaxBytes = kPayloadMax;
  options.keepAliveTimeout = kIdleTimeout;
  options.maxConnections = kMaxConnections;
  options.gzipLevel = 1;
  return options;
}

Server::Server(Site& site, std::string host, int port) : Server(site, serverOptions(std::move(host), port)) {}

Server::Server(Site& site, http::ServerOptions options) : http_(std::move(options)) {
  http_.post(R"((/.*)?/api3/json)",
             [&site](const http::Request& req) { return toResponse(site.handleApi3(req.body())); });
  auto control = [&site](const http::Request& req) {
    return toResponse(site.handleControl(req.method(), req.path(), req.body()));
  };
  http_.post(R"(/sim/.*)", control);
  http_.get(R"(/sim/.*)", control);
}

}  // namespace sgeventd::sim
