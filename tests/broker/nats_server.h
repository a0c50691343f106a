#pragma once
// A nats-server with JetStream for one test: on 127.0.0.1, a free port, a temporary store folder. It can
// be stopped, killed and started again on the same port and store, as a restart in production would.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "../daemon/process.h"
#include "../support/temp_dir.h"
#include "broker/connection.h"

namespace sgeventd::testing {

inline int freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class NatsServer {
 public:
  NatsServer() : port_(freeLoopbackPort()) {}

  // Starts it and waits until a client connects and JetStream answers; false after `timeout`.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    process_ =
        std::make_unique<Process>(std::vector<std::string>{kBinary, "-js", "-a", "127.0.0.1", "-p",
                                                           std::to_string(port_), "-sd", dir_.file("store")},
                                  std::map<std::string, std::string>{}, dir_.file("nats-server.log"));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    broker::ConnectOptions options;
    options.urls = {url()};
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
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  void kill() { end(SIGKILL); }
  // It stops answering, its connections open (SIGSTOP), and carries on (SIGCONT).
  void freeze() { process_->signal(SIGSTOP); }
  void thaw() { process_->signal(SIGCONT); }
  void stop() { end(SIGTERM); }

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return dir_.file("nats-server.log"); }

  broker::ConnectOptions options() const {
    broker::ConnectOptions options;
    options.urls = {url()};
    options.connectTimeout = std::chrono::milliseconds(1000);
    options.reconnectWait = std::chrono::milliseconds(100);
    options.apiTimeout = std::chrono::milliseconds(2000);
    return options;
  }

 private:
  static constexpr const char* kBinary = "/usr/sbin/nats-server";

  void end(int sig) {
    if (process_) {
      process_->signal(sig);
      process_->wait(std::chrono::seconds(20));
      process_.reset();
    }
  }

  TempDir dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

}  // namespace sgeventd::testing
