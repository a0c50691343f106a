#pragma once
// The publisher as the engine sees it in broker mode: one "plugin" with one callback that hands each
// event to JetStream and returns once its PubAck arrived. So the publisher gets everything a lane gives
// a plugin — id order, late ids, gap tracking, a checkpoint in SQLite that never passes an event the
// stream does not hold — and the plugins themselves run in `sgeventd worker --broker` processes.
//
// Publishing is pipelined through the lane's run-ahead: offer() hands the lane's next events to the
// publisher without waiting, and invoke() waits for the one event's PubAck. invoke() does not give up
// while the daemon runs (the publisher retries and logs one WARNING per outage); it returns a Retry only
// when a stop was requested, so the event is not reported done and is published again at the next start.
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "broker/publisher.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "plugins/plugin.h"

namespace sgeventd::broker {

class PublisherPlugin final : public plugins::Plugin {
 public:
  // The plugin name under which the publisher's checkpoint is kept and shown.
  static constexpr const char* kName = "jetstream-publisher";
  static constexpr const char* kCollection = "broker";
  static plugins::PluginId pluginId(const std::string& stream);

  PublisherPlugin(plugins::PluginId id, Publisher& publisher, core::Shutdown& shutdown, core::LoggerPtr log);

  const plugins::PluginId& id() const override { return id_; }
  plugins::PluginKind kind() const override { return plugins::PluginKind::Native; }
  const std::vector<plugins::CallbackInfo>& callbacks() const override { return callbacks_; }
  plugins::InvokeResult invoke(std::size_t index, const core::Event& event,
                               plugins::Deadline deadline) override;
  void offer(const std::vector<core::EventPtr>& upcoming) override;
  void withdrawOffer() override;
  bool ranAhead() override { return !owed_.empty(); }

 private:
  plugins::PluginId id_;
  Publisher& publisher_;
  core::Shutdown& shutdown_;
  core::LoggerPtr log_;
  std::vector<plugins::CallbackInfo> callbacks_;
  // The lane's thread only. handed_: given to the publisher and not yet confirmed to the lane (a second
  // hand-over would only be a duplicate, but costs a send). owed_: offered and not yet asked for.
  std::set<std::int64_t> handed_;
  std::set<std::int64_t> owed_;
  std::deque<core::EventPtr> waiting_;  // offered, not handed over yet (the publisher's window was full)

  void handOver();
};

}  // namespace sgeventd::broker
