#pragma once
// One connection to a NATS cluster and its JetStream context, in one RAII owner. The connection
// reconnects by itself (forever, every `reconnectWait`) and re-creates its subscriptions; messages
// published while it is away are buffered and sent once it is back.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/nats_handles.h"
#include "config/daemon_config.h"

namespace sgeventd::broker {

struct ConnectOptions {
  std::vector<std::string> urls;           // nats:// or tls:// URLs of one cluster
  std::optional<std::string> credentials;  // a .creds file
  std::optional<std::string> tlsCaFile;    // turns TLS on
  std::string name = "sgeventd";           // the client name the servers show
  std::chrono::milliseconds connectTimeout{2000};
  std::chrono::milliseconds reconnectWait{250};
  std::chrono::milliseconds apiTimeout{5000};  // a JetStream API request (stream info, get message)
  // Each message is written at once rather than by the client's flusher thread: one thread wake-up less
  // per message, which is what a worker's one-event-at-a-time round trips pay for. The publisher, which
  // pipelines, leaves it off so that its messages are written together.
  bool sendAsap = false;
};

ConnectOptions connectOptionsOf(const config::BrokerSettings& settings);

class Connection {
 public:
  // Connects to one of the servers (an error when none answers within connectTimeout).
  static Expected<std::unique_ptr<Connection>> connect(const ConnectOptions& options);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  natsConnection* nats() const { return nc_.get(); }
  jsCtx* jetStream() const { return js_.get(); }
  bool connected() const;
  const ConnectOptions& options() const { return options_; }

 private:
  Connection(ConnectOptions options, ConnectionHandle nc, JetStreamHandle js)
      : options_(std::move(options)), nc_(std::move(nc)), js_(std::move(js)) {}

  ConnectOptions options_;
  ConnectionHandle nc_;
  JetStreamHandle js_;  // destroyed before the connection
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace sgeventd::broker
