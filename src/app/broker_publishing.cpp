#include "app/broker_publishing.h"

#include <fmt/format.h>

#include "broker/failure_reader.h"
#include "broker/stream.h"
#include "broker/stream_report.h"
#include "broker/subjects.h"

namespace sgeventd::app {

namespace {

constexpr std::chrono::seconds kConnectRetry{2};
constexpr std::chrono::seconds kStatusEvery{1};

// Waits for the cluster: a daemon started before NATS (or during its restart) connects when it is back.
broker::ConnectionPtr connectWhenUp(const config::DaemonConfig& c, core::Shutdown& shutdown,
                                    core::LoggerPtr log,
                                    const std::function<void(const std::string&)>& waiting) {
  auto options = broker::connectOptionsOf(c.broker);
  options.name = "sgeventd publisher " + c.broker.site;
  bool told = false;
  while (!shutdown.requested()) {
    auto connection = broker::Connection::connect(options);
    if (connection) {
      if (told) {
        log->info("Connected to NATS.");
      }
      return broker::ConnectionPtr(std::move(*connection));
    }
    if (!told) {
      log->warning("Cannot reach NATS yet (" + connection.error().message + "); trying again every " +
                   std::to_string(kConnectRetry.count()) + " s.");
      waiting("Waiting for NATS: " + connection.error().message);
      told = true;
    }
    shutdown.waitFor(kConnectRetry);
  }
  return nullptr;
}

}  // namespace

Expected<std::unique_ptr<BrokerPublishing>> BrokerPublishing::lead(
    const config::DaemonConfig& c, core::Shutdown& shutdown, core::LoggerPtr log,
    const std::function<void(const std::string&)>& waiting) {
  std::unique_ptr<BrokerPublishing> self(new BrokerPublishing(c, shutdown, log));
  self->connection_ = connectWhenUp(c, shutdown, log, waiting);
  if (!self->connection_) {
    return std::unique_ptr<BrokerPublishing>();
  }
  const std::string site = broker::subjectToken(c.broker.site);
  for (;;) {
    auto stream = broker::ensureStream(*self->connection_, {c.broker.stream, site, c.broker.replicas});
    if (stream) {
      break;
    }
    if (!self->connection_->connected() || stream.error().message.find("timeout") != std::string::npos) {
      // A cluster still electing its stream leader, or gone again: wait, as for the connection.
      if (shutdown.waitFor(kConnectRetry)) {
        return std::unique_ptr<BrokerPublishing>();
      }
      continue;
    }
    return unexpected(stream.error());
  }
  broker::LeaseSettings leaseSettings;
  leaseSettings.key = site;
  leaseSettings.holder = broker::defaultLeaseHolder();
  leaseSettings.replicas = c.broker.replicas;
  auto lease = broker::LeaderLease::open(self->connection_, leaseSettings, log);
  if (!lease) {
    return unexpected(lease.error());
  }
  self->lease_ = std::move(*lease);
  waiting("Standby: waiting for the leadership lease of site " + site);
  if (!self->lease_->acquire(shutdown)) {
    return std::unique_ptr<BrokerPublishing>();
  }
  // A daemon that lost the lease stops: under systemd (Restart=on-failure) it comes back as the standby.
  self->lease_->keep([&shutdown](const std::string&) { shutdown.request(1); });

  broker::PublisherOptions options;
  options.stream = c.broker.stream;
  options.site = site;
  options.maxPendingAcks = c.broker.maxPendingAcks;
  auto publisher = broker::Publisher::start(self->connection_, options, log);
  if (!publisher) {
    return unexpected(publisher.error());
  }
  self->publisher_ = std::move(*publisher);
  self->plugin_ = std::make_shared<broker::PublisherPlugin>(
      broker::PublisherPlugin::pluginId(c.broker.stream), *self->publisher_, shutdown, log);
  log->info(
      fmt::format("Broker mode: publishing to stream {} as sgevents.{}.<entity type>.<event type>; the "
                  "stream's last event is {}. Plugins run in `sgeventd worker --broker`.",
                  c.broker.stream, site, self->publisher_->resumeAfter()));
  return self;
}

BrokerPublishing::~BrokerPublishing() {
  plugin_.reset();
  publisher_.reset();  // before the lease: the standby starts once nothing more is sent from here
  lease_.reset();
}

void BrokerPublishing::catchUpLocalState(store::StateStore& store) {
  const auto streamLast = publisher_->resumeAfter();
  const auto id = plugin_->id();
  auto checkpoint = store.loadCheckpoint(id.collection, id.name);
  if (!checkpoint || !*checkpoint || (*checkpoint)->cursor >= streamLast) {
    return;  // no local state: the engine's start position policy starts it at the stream's last event
  }
  if (auto moved = store.setCursor(id.collection, id.name, streamLast); !moved) {
    log_->error("Cannot move the publisher's position up to the stream's: " + moved.error().message +
                ". The difference is published again (duplicates within the stream's 2-minute window).");
    return;
  }
  log_->info(
      fmt::format("The stream holds events up to {}, beyond this host's position {} (another daemon "
                  "led): publishing continues after {}.",
                  streamLast, (*checkpoint)->cursor, streamLast));
}

engine::StartPositionPolicy BrokerPublishing::startPosition() const {
  const auto streamLast = publisher_->resumeAfter();
  return [streamLast](const plugins::PluginId&) -> std::optional<engine::StartPosition> {
    if (streamLast <= 0) {
      return std::nullopt;  // an empty stream: the site's newest event, as the original's first start
    }
    return engine::StartPosition{streamLast, "from the stream's last event"};
  };
}

std::vector<engine::PluginSlot> BrokerPublishing::refresh(bool force) {
  (void)force;
  return {engine::PluginSlot{plugin_->id(), plugin_, "", "", 1}};
}

Expected<nlohmann::json> BrokerPublishing::failures(const std::optional<std::string>& plugin, int limit) {
  auto records = broker::readFailures(*connection_, config_.broker.stream, plugin, limit);
  if (!records) {
    return unexpected(records.error());
  }
  return nlohmann::json(std::move(*records));
}

void BrokerPublishing::attachMetrics(core::Metrics& metrics) {
  metrics_.registry = &metrics;
  metrics_.published =
      metrics.counter("sgeventd_broker_published_events_total", "Events handed to the JetStream publisher");
  metrics_.acknowledged = metrics.counter("sgeventd_broker_acknowledged_events_total",
                                          "Events whose PubAck arrived (stored, or already in the stream)");
  metrics_.duplicates = metrics.counter("sgeventd_broker_duplicate_events_total",
                                        "Acknowledged events the stream already held (re-published)");
  metrics_.rewinds = metrics.counter("sgeventd_broker_rewinds_total",
                                     "Times the publisher went back to its first unacknowledged event");
  metrics_.pending =
      metrics.gauge("sgeventd_broker_pending_acks", "Events published and not acknowledged yet");
  metrics_.leader = metrics.gauge("sgeventd_broker_leader", "1 while this daemon holds the site's lease");
}

void BrokerPublishing::sampleMetrics() {
  if (metrics_.registry == nullptr) {
    return;
  }
  const auto stats = publisher_->stats();
  auto& last = metrics_.last;
  metrics_.published->inc(static_cast<double>(stats.published - last.published));
  metrics_.acknowledged->inc(static_cast<double>(stats.acknowledged - last.acknowledged));
  metrics_.duplicates->inc(static_cast<double>(stats.duplicates - last.duplicates));
  metrics_.rewinds->inc(static_cast<double>(stats.rewinds - last.rewinds));
  last = stats;
  metrics_.pending->set(static_cast<double>(stats.pending));
  metrics_.leader->set(lease_->held() ? 1 : 0);
  const auto now = std::chrono::steady_clock::now();
  if (now - metrics_.consumersAt < std::chrono::seconds(5)) {
    return;
  }
  metrics_.consumersAt = now;
  const auto report = status();
  if (!report.contains("consumers")) {
    return;
  }
  auto& m = *metrics_.registry;
  for (const auto& c : report["consumers"]) {
    const core::MetricLabels labels{{"consumer", c["name"].get<std::string>()}};
    m.gauge("sgeventd_broker_consumer_pending", "Messages of the stream the consumer has still to take",
            labels)
        ->set(c["num_pending"].get<double>());
    m.gauge("sgeventd_broker_consumer_ack_pending", "Messages delivered to a worker and not acknowledged yet",
            labels)
        ->set(c["num_ack_pending"].get<double>());
    m.gauge("sgeventd_broker_consumer_redelivered",
            "Messages delivered more than once and not acknowledged yet", labels)
        ->set(c["num_redelivered"].get<double>());
  }
}

nlohmann::json BrokerPublishing::status() {
  std::lock_guard lock(statusMutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!statusCache_.is_null() && now - statusAt_ < kStatusEvery) {
    return statusCache_;
  }
  const auto stats = publisher_->stats();
  nlohmann::json out{
      {"mode", "publisher"},
      {"leader", lease_->held()},
      {"publisher",
       {{"published", stats.published},
        {"acknowledged", stats.acknowledged},
        {"duplicates", stats.duplicates},
        {"sends", stats.sends},
        {"rewinds", stats.rewinds},
        {"pending", stats.pending},
        {"checkpoint", publisher_->checkpoint()},
        {"last_error", stats.lastError}}},
  };
  if (auto report = broker::streamReport(*connection_, config_.broker.stream)) {
    out.update(*report);
  } else {
    out["error"] = report.error().message;
  }
  statusCache_ = out;
  statusAt_ = now;
  return out;
}

}  // namespace sgeventd::app
