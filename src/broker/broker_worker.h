#pragma once
// `sgeventd worker --broker`: the catalog's plugins, each a PluginConsumer on the site's stream. apply()
// keeps the consumers in step with the catalog: a new plugin gets one, a new version of a file (its
// generation changed) replaces the running plugin between events, a removed file's consumer stops (its
// durable stays on the server, where it resumes when the plugin comes back).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/plugin_consumer.h"
#include "core/log.h"
#include "plugins/catalog.h"

namespace sgeventd::broker {

struct BrokerWorkerOptions {
  PluginConsumerOptions consumer;
  int replicas = 1;  // of the failures stream
};

using PolicyFor = std::function<engine::FailurePolicy(const std::string& pluginName)>;

class BrokerWorker {
 public:
  BrokerWorker(ConnectionPtr connection, BrokerWorkerOptions options, PolicyFor policyFor,
               core::LogFactoryPtr logs);
  ~BrokerWorker();
  BrokerWorker(const BrokerWorker&) = delete;
  BrokerWorker& operator=(const BrokerWorker&) = delete;

  void apply(const std::vector<plugins::PluginSlot>& slots);
  // Every consumer stops after its event in flight (acknowledged); returns once all threads ended.
  void stop();
  std::size_t consumers() const { return running_.size(); }

 private:
  struct Running {
    std::string key;  // PluginId::key()
    std::uint64_t generation = 0;
    std::unique_ptr<PluginConsumer> consumer;
  };

  ConnectionPtr connection_;
  BrokerWorkerOptions options_;
  PolicyFor policyFor_;
  core::LogFactoryPtr logs_;
  core::LoggerPtr log_;
  std::shared_ptr<FailureRecorder> failures_;
  std::map<std::string, Running> running_;  // by plugin name, the consumer's key
};

}  // namespace sgeventd::broker
