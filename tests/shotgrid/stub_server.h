#pragma once
// A scripted api3 server for client tests: 127.0.0.1, port 0, replies popped from a queue in order.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace sgeventd::shotgrid::testing {

struct StubReply {
  int status = 200;
  std::string body = R"({"results": null})";
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds delay{0};  // held before answering (the test's end cuts it short)
  bool dropMidBody = false;            // promise the body, send half, close the connection
};

struct StubRequest {
  std::string path;
  nlohmann::json body;
  httplib::Headers headers;
  int remotePort = 0;
};

class StubServer {
 public:
  StubServer() {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~StubServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void push(StubReply reply) {
    std::lock_guard lock(mutex_);
    replies_.push_back(std::move(reply));
  }
  void pushResults(const nlohmann::json& results) {
    push(StubReply{200, nlohmann::json{{"results", results}}.dump()});
  }
  // Used when the queue is empty; the default answers {"results": null}.
  void setFallback(std::function<StubReply(const nlohmann::json&)> fallback) {
    std::lock_guard lock(mutex_);
    fallback_ = std::move(fallback);
  }
  std::vector<StubRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t requestCount() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    StubReply reply;
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    {
      std::unique_lock lock(mutex_);
      requests_.push_back(StubRequest{req.path, body, req.headers, req.remote_port});
      if (!replies_.empty()) {
        reply = std::move(replies_.front());
        replies_.pop_front();
      } else if (fallback_) {
        reply = fallback_(body);
      }
      if (reply.delay.count() > 0) {
        cv_.wait_for(lock, reply.delay, [this] { return stopping_; });
      }
    }
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers) {
      res.set_header(name, value);
    }
    if (reply.dropMidBody) {
      auto text = std::make_shared<std::string>(reply.body);
      res.set_content_provider(text->size() * 2, "application/json",
                               [text](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset == 0) {
                                   sink.write(text->data(), text->size() / 2);
                                 }
                                 return false;
                               });
      return;
    }
    res.set_content(reply.body, "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::deque<StubReply> replies_;
  std::function<StubReply(const nlohmann::json&)> fallback_;
  std::vector<StubRequest> requests_;
};

}  // namespace sgeventd::shotgrid::testing
