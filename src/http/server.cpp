#include "http/server.h"

#include <httplib.h>
#include <strings.h>

#include "http/connection_pool.h"
#include "http/gzip.h"
#include "http/keep_alive_server.h"

namespace sgeventd::http {
namespace {

// Replies smaller than this gain nothing from compression.
constexpr std::size_t kGzipMinBytes = 256;
constexpr int kListenBacklog = 511;  // nginx's

void compress(httplib::Response& res, int level) {
  res.set_header("Vary", "Accept-Encoding");
  if (res.body.size() < kGzipMinBytes) {
    return;
  }
  if (auto gzipped = gzipCompress(res.body, level)) {
    res.body = std::move(*gzipped);
    res.set_header("Content-Encoding", "gzip");
  }
}

void apply(Response&& response, httplib::Response& res, int gzipLevel) {
  res.status = response.status;
  for (const auto& [name, value] : response.headers) {
    res.set_header(name, value);
  }
  if (response.dropAfterBytes) {
    // Promise the whole body, write part of it, then fail the provider: httplib drops the connection.
    auto body = std::make_shared<std::string>(std::move(response.body));
    const std::size_t cut = std::min(*response.dropAfterBytes, body->size());
    res.set_content_provider(body->size(), response.contentType,
                             [body, cut](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                               if (offset < cut) {
                                 sink.write(body->data() + offset, cut - offset);
                               }
                               return false;
                             });
    res.set_header("Connection", "close");
    return;
  }
  // set_content() copies; a page of events can be megabytes.
  res.body = std::move(response.body);
  const auto previous = res.headers.equal_range("Content-Type");
  res.headers.erase(previous.first, previous.second);
  res.set_header("Content-Type", response.contentType);
  if (gzipLevel > 0) {
    compress(res, gzipLevel);
  }
}

}  // namespace

const std::string& Request::method() const { return request_.method; }
const std::string& Request::path() const { return request_.path; }
const std::string& Request::body() const { return request_.body; }

std::optional<std::string> Request::header(const std::string& name) const {
  if (!request_.has_header(name) && request_.has_header(kAcceptEncodingHeader) &&
      ::strcasecmp(name.c_str(), "Accept-Encoding") == 0) {
    return request_.get_header_value(kAcceptEncodingHeader);
  }
  if (!request_.has_header(name)) {
    return std::nullopt;
  }
  return request_.get_header_value(name);
}

std::optional<std::string> Request::query(const std::string& name) const {
  if (!request_.has_param(name)) {
    return std::nullopt;
  }
  return request_.get_param_value(name);
}

std::string Request::pathGroup(std::size_t index) const {
  return index < request_.matches.size() ? request_.matches[index].str() : std::string();
}

const std::string& Request::remoteAddress() const { return request_.remote_addr; }

Server::Server(ServerOptions options) : options_(std::move(options)), port_(options_.port) {}

Server::~Server() { stop(); }

void Server::get(std::string pattern, Handler handler) {
  routes_.push_back(Route{Method::Get, std::move(pattern), std::move(handler)});
}

void Server::post(std::string pattern, Handler handler) {
  routes_.push_back(Route{Method::Post, std::move(pattern), std::move(handler)});
}

void Server::route(std::string_view method, std::string pattern, Handler handler) {
  static constexpr std::pair<std::string_view, Method> kMethods[] = {
      {"GET", Method::Get},       {"POST", Method::Post},   {"PUT", Method::Put},
      {"DELETE", Method::Delete}, {"PATCH", Method::Patch}, {"OPTIONS", Method::Options},
  };
  for (const auto& [name, value] : kMethods) {
    if (name == method) {
      routes_.push_back(Route{value, std::move(pattern), std::move(handler)});
      return;
    }
  }
}

void Server::setRequestLog(std::function<void(std::string_view)> log) { log_ = std::move(log); }

std::string Server::url() const { return "http://" + options_.host + ":" + std::to_string(port_); }

Expected<void> Server::start() {
  if (http_) {
    return fail("the server is already started");
  }
  if (options_.maxConnections > 0) {
    KeepAliveServer::Options loop;
    loop.idleTimeout = options_.keepAliveTimeout;
    loop.maxRequests = options_.keepAliveMaxCount;
    loop.readTimeout = options_.readTimeout;
    loop.writeTimeout = options_.writeTimeout;
    auto server = std::make_unique<KeepAliveServer>(loop);
    keepAlive_ = server.get();
    http_ = std::move(server);
  } else {
    keepAlive_ = nullptr;
    http_ = std::make_unique<httplib::Server>();
  }
  auto& http = *http_;
  // Without TCP_NODELAY a reply split over two segments waits out the client's delayed ACK (~40 ms).
  http.set_tcp_nodelay(true);
  http.set_keep_alive_max_count(options_.keepAliveMaxCount);
  http.set_keep_alive_timeout(options_.keepAliveTimeout.count());
  http.set_read_timeout(options_.readTimeout.count());
  http.set_write_timeout(options_.writeTimeout.count());
  http.set_payload_max_length(options_.payloadMaxBytes);
  if (options_.maxConnections > 0) {
    http.new_task_queue = [n = options_.maxConnections] { return new ConnectionPool(n); };
  } else if (options_.workerThreads > 0) {
    http.new_task_queue = [threads = options_.workerThreads] { return new httplib::ThreadPool(threads); };
  }

  for (const auto& route : routes_) {
    auto serve = [this, handler = route.handler](const httplib::Request& req, httplib::Response& res) {
      const auto start = std::chrono::steady_clock::now();
      Response response = handler(Request(req));
      const int status = response.status;
      const bool gzip = keepAlive_ != nullptr && options_.gzipLevel > 0 &&
                        acceptsGzip(req.get_header_value(kAcceptEncodingHeader));
      apply(std::move(response), res, gzip ? options_.gzipLevel : 0);
      if (log_) {
        const auto ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        log_(req.method + " " + req.path + " " + std::to_string(status) + " " + std::to_string(ms) + "ms");
      }
    };
    switch (route.method) {
      case Method::Get:
        http.Get(route.pattern, serve);
        break;
      case Method::Post:
        http.Post(route.pattern, serve);
        break;
      case Method::Put:
        http.Put(route.pattern, serve);
        break;
      case Method::Delete:
        http.Delete(route.pattern, serve);
        break;
      case Method::Patch:
        http.Patch(route.pattern, serve);
        break;
      case Method::Options:
        http.Options(route.pattern, serve);
        break;
    }
  }

  if (port_ == 0) {
    port_ = http.bind_to_any_port(options_.host);
    if (port_ < 0) {
      http_.reset();
      port_ = 0;
      return fail("cannot bind " + options_.host + " on any port");
    }
  } else if (!http.bind_to_port(options_.host, port_)) {
    http_.reset();
    return fail("cannot bind " + options_.host + ":" + std::to_string(port_));
  }
  if (keepAlive_ && !keepAlive_->widenBacklog(kListenBacklog)) {
    stop();
    return fail("cannot listen on " + options_.host + ":" + std::to_string(port_));
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
  if (http_ && keepAlive_) {
    keepAlive_->stopConnections();
  }
  if (http_) {
    http_->stop();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  http_.reset();
  keepAlive_ = nullptr;
}

}  // namespace sgeventd::http
