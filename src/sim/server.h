#pragma once
// Serves a Site over HTTP: POST [/prefix]/api3/json (the api3 protocol) and the /sim/... test controls.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/expected.h"

namespace httplib {
class Server;
}

namespace sgeventd::sim {

class Site;

class Server {
 public:
  // port 0 picks a free port; read it from port() after start().
  explicit Server(Site& site, std::string host = "127.0.0.1", int port = 0);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Called once per request with a one-line summary ("POST /api3/json read 200 1.2ms"); off when unset.
  void setRequestLog(std::function<void(std::string_view)> log);
  Expected<void> start();  // binds, starts the listener thread, returns once it accepts connections
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::string url() const;  // "http://127.0.0.1:PORT"
  void stop();

 private:
  Site& site_;
  std::string host_;
  int port_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::function<void(std::string_view)> log_;
};

}  // namespace sgeventd::sim
