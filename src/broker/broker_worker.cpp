#include "broker/broker_worker.h"

#include <set>

namespace sgeventd::broker {

BrokerWorker::BrokerWorker(ConnectionPtr connection, BrokerWorkerOptions options, PolicyFor policyFor,
                           core::LogFactoryPtr logs)
    : connection_(std::move(connection)),
      options_(std::move(options)),
      policyFor_(std::move(policyFor)),
      logs_(std::move(logs)),
      log_(logs_->get("engine")),
      failures_(std::make_shared<FailureRecorder>(connection_, options_.consumer.stream,
                                                  options_.consumer.site, options_.replicas)) {}

BrokerWorker::~BrokerWorker() { stop(); }

void BrokerWorker::apply(const std::vector<plugins::PluginSlot>& slots) {
  std::set<std::string> seen;
  for (const auto& slot : slots) {
    if (!slot.plugin) {
      continue;  // failed to load: the catalog logged why; a consumer it had stops below
    }
    const std::string& name = slot.id.name;
    if (!seen.insert(name).second) {
      // Two folders with a plugin of one name would share one consumer and steal each other's events.
      log_->error("Plugin " + slot.id.key() +
                  " has the name of another plugin; it is not run (its consumer " + consumerName(name) +
                  " is taken)");
      continue;
    }
    auto it = running_.find(name);
    if (it != running_.end() && it->second.key != slot.id.key()) {
      running_.erase(it);  // the name moved to another folder's file: start over with it
      it = running_.end();
    }
    if (it == running_.end()) {
      auto consumer = std::make_unique<PluginConsumer>(connection_, failures_, options_.consumer, slot.plugin,
                                                       policyFor_(name), logs_->get("plugin." + name));
      running_.emplace(name, Running{slot.id.key(), slot.generation, std::move(consumer)});
    } else if (it->second.generation != slot.generation) {
      it->second.generation = slot.generation;
      it->second.consumer->replace(slot.plugin, policyFor_(name));
    }
  }
  for (auto it = running_.begin(); it != running_.end();) {
    if (seen.count(it->first) == 0) {
      log_->info("Plugin " + it->first + " is gone: its consumer " + consumerName(it->first) + " stops here");
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

void BrokerWorker::stop() {
  // Asked all at once, so the stop waits for the slowest callback in flight, not for their sum.
  for (auto& [name, running] : running_) {
    running.consumer->requestStop();
  }
  running_.clear();
}

}  // namespace sgeventd::broker
