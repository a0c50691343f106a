#pragma once
// Three nats-servers with JetStream clustered on loopback (free ports, a store folder each), for the
// R3 tests: one node can be killed and the stream carries on with the other two.
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "nats_server.h"

namespace sgeventd::testing {

class NatsCluster {
 public:
  static constexpr int kNodes = 3;

  NatsCluster() {
    for (int i = 0; i < kNodes; ++i) {
      ports_[i] = freeLoopbackPort();
      routePorts_[i] = freeLoopbackPort();
    }
  }

  // Starts every node and waits until JetStream answers through any of them (its meta leader elected).
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    for (int i = 0; i < kNodes; ++i) {
      startNode(i);
    }
    return jetStreamAnswers(timeout);
  }
  void kill(int node) {
    if (nodes_[node]) {
      nodes_[node]->signal(SIGKILL);
      nodes_[node]->wait(std::chrono::seconds(20));
      nodes_[node].reset();
    }
  }
  // The node comes back on its ports and store, and catches up from the others.
  void restart(int node) { startNode(node); }

  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (int i = 0; i < kNodes; ++i) {
      out.push_back(url(i));
    }
    return out;
  }
  std::string url(int node) const { return "nats://127.0.0.1:" + std::to_string(ports_[node]); }
  // "nats://a,nats://b,nats://c" as [broker] url takes it.
  std::string urlList() const {
    std::string out;
    for (const auto& u : urls()) {
      out += (out.empty() ? "" : ",") + u;
    }
    return out;
  }
  broker::ConnectOptions options() const {
    broker::ConnectOptions options;
    options.urls = urls();
    options.connectTimeout = std::chrono::milliseconds(1000);
    options.reconnectWait = std::chrono::milliseconds(100);
    options.apiTimeout = std::chrono::milliseconds(3000);
    return options;
  }

  bool jetStreamAnswers(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto options = this->options();
    options.connectTimeout = std::chrono::milliseconds(200);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto connection = broker::Connection::connect(options)) {
        jsAccountInfo* info = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        const natsStatus s = js_GetAccountInfo(&info, (*connection)->jetStream(), nullptr, &code);
        jsAccountInfo_Destroy(info);
        if (s == NATS_OK) {
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  void startNode(int i) {
    std::string routes;
    for (int j = 0; j < kNodes; ++j) {
      if (j != i) {
        routes += (routes.empty() ? "" : ",") + ("nats://127.0.0.1:" + std::to_string(routePorts_[j]));
      }
    }
    const std::string name = "n" + std::to_string(i);
    nodes_[i] = std::make_unique<Process>(
        std::vector<std::string>{"/usr/sbin/nats-server", "-js", "-n", name, "--cluster_name",
                                 "sgeventd-test", "-a", "127.0.0.1", "-p", std::to_string(ports_[i]),
                                 "--cluster", "nats://127.0.0.1:" + std::to_string(routePorts_[i]),
                                 "--routes", routes, "-sd", dir_.file("store-" + name)},
        std::map<std::string, std::string>{}, dir_.file(name + ".log"));
  }

  TempDir dir_;
  std::array<int, kNodes> ports_{};
  std::array<int, kNodes> routePorts_{};
  std::array<std::unique_ptr<Process>, kNodes> nodes_;
};

}  // namespace sgeventd::testing
