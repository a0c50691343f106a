#pragma once
// The daemon in broker mode (docs/scaling-out.md): it connects to the NATS cluster, makes sure the
// site's stream exists, waits for the leadership lease (a standby waits here), and gives the engine one
// plugin, the publisher, instead of the configured plugins, which run in `sgeventd worker --broker`.
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "broker/connection.h"
#include "broker/leader_lease.h"
#include "broker/publisher.h"
#include "broker/publisher_plugin.h"
#include "config/daemon_config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shutdown.h"
#include "engine/engine.h"
#include "store/state_store.h"

namespace sgeventd::app {

class BrokerPublishing final : public engine::PluginSource {
 public:
  // Returns once this daemon leads; nullptr when a stop came first (while NATS was away, or as a
  // standby). `waiting` hears what it waits for (systemd's status line). The error: a setting the
  // cluster refuses (another site's stream of that name).
  static Expected<std::unique_ptr<BrokerPublishing>> lead(
      const config::DaemonConfig& c, core::Shutdown& shutdown, core::LoggerPtr log,
      const std::function<void(const std::string&)>& waiting);
  ~BrokerPublishing() override;

  // Where the stream is ahead of this host's state (another daemon led while this one was standby, or
  // the state is new), the publisher's cursor moves up to the stream's last event, so the overlap is
  // not published again. Call before the engine starts.
  void catchUpLocalState(store::StateStore& store);

  // A publisher without local state starts after the stream's last event.
  engine::StartPositionPolicy startPosition() const;

  std::vector<engine::PluginSlot> refresh(bool force) override;

  // The publisher's counters and the stream's consumers, for the admin API (read at most once a second).
  nlohmann::json status();
  // /metrics: the publisher's counters every call (the daemon's loop, once a second), and each
  // consumer's backlog from the servers every 5 s.
  void attachMetrics(core::Metrics& metrics);
  void sampleMetrics();

  // The failures stream's newest records, for the admin API.
  Expected<nlohmann::json> failures(const std::optional<std::string>& plugin, int limit);

 private:
  BrokerPublishing(const config::DaemonConfig& c, core::Shutdown& shutdown, core::LoggerPtr log)
      : config_(c), shutdown_(shutdown), log_(std::move(log)) {}

  const config::DaemonConfig& config_;
  core::Shutdown& shutdown_;
  core::LoggerPtr log_;
  broker::ConnectionPtr connection_;
  std::unique_ptr<broker::LeaderLease> lease_;
  std::unique_ptr<broker::Publisher> publisher_;
  std::shared_ptr<broker::PublisherPlugin> plugin_;

  struct Metrics {
    core::CounterPtr published, acknowledged, duplicates, rewinds;
    core::GaugePtr pending, leader;
    core::Metrics* registry = nullptr;
    broker::PublisherStats last;
    std::chrono::steady_clock::time_point consumersAt{};
  };
  Metrics metrics_;

  std::mutex statusMutex_;
  std::chrono::steady_clock::time_point statusAt_{};
  nlohmann::json statusCache_;
};

}  // namespace sgeventd::app
