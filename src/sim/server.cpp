#include "sim/server.h"

#include <httplib.h>

#include <chrono>

#include "sim/site.h"

namespace sgeventd::sim {
namespace {

constexpr std::size_t kPayloadMax = 64u << 20;

void applyReply(const HttpReply& reply, httplib::Response& res) {
  if (reply.delayMs > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(reply.delayMs));
  }
  res.status = reply.status;
  for (const auto& [name, value] : reply.headers) {
    res.set_header(name, value);
  }
  if (reply.delivery == HttpReply::Delivery::ResetHalfway) {
    // Promise the whole body, write half, then fail the provider: httplib drops the connection.
    auto body = std::make_shared<std::string>(reply.body);
    res.set_content_provider(body->size(), reply.contentType,
                             [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                               const std::size_t half = body->size() / 2;
                               if (offset < half) {
                                 sink.write(body->data() + offset, half - offset);
                               }
                               return false;
                             });
    res.set_header("Connection", "close");
    return;
  }
  res.set_content(reply.body, reply.contentType);
}

}  // namespace

Server::Server(Site& site, std::string host, int port) : site_(site), host_(std::move(host)), port_(port) {}

Server::~Server() { stop(); }

void Server::setRequestLog(std::function<void(std::string_view)> log) { log_ = std::move(log); }

std::string Server::url() const { return "http://" + host_ + ":" + std::to_string(port_); }

Expected<void> Server::start() {
  if (http_) {
    return fail("the server is already started");
  }
  http_ = std::make_unique<httplib::Server>();
  auto& http = *http_;
  // Without TCP_NODELAY a reply split over two segments waits out the client's delayed ACK (~40 ms).
  http.set_tcp_nodelay(true);
  http.set_keep_alive_max_count(1000);
  http.set_keep_alive_timeout(10);
  http.set_read_timeout(30);
  http.set_write_timeout(30);
  http.set_payload_max_length(kPayloadMax);

  auto logLine = [this](const httplib::Request& req, int status,
                        std::chrono::steady_clock::time_point start) {
    if (!log_) {
      return;
    }
    const auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    log_(req.method + " " + req.path + " " + std::to_string(status) + " " + std::to_string(ms) + "ms");
  };
  http.Post(R"((/.*)?/api3/json)", [this, logLine](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    const HttpReply reply = site_.handleApi3(req.body);
    applyReply(reply, res);
    logLine(req, reply.status, start);
  });
  auto control = [this, logLine](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    const HttpReply reply = site_.handleControl(req.method, req.path, req.body);
    applyReply(reply, res);
    logLine(req, reply.status, start);
  };
  http.Post(R"(/sim/.*)", control);
  http.Get(R"(/sim/.*)", control);

  if (port_ == 0) {
    port_ = http.bind_to_any_port(host_);
    if (port_ < 0) {
      http_.reset();
      return fail("cannot bind " + host_ + " on any port");
    }
  } else if (!http.bind_to_port(host_, port_)) {
    http_.reset();
    return fail("cannot bind " + host_ + ":" + std::to_string(port_));
  }
  thread_ = std::thread([&http] { http.listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!http.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      return fail("the HTTP listener did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return {};
}

void Server::stop() {
  if (http_) {
    http_->stop();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  http_.reset();
}

}  // namespace sgeventd::sim
