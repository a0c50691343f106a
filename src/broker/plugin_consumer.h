#pragma once
// One plugin as a durable pull consumer: its own thread fetches one event at a time, runs the plugin's
// callbacks in registration order with matchEvents, and acknowledges the event only once they returned
// (natsMsg_AckSync: the server confirmed it). The server keeps the plugin's order (one unacknowledged
// event at a time) and hands a dead worker's event to another after ack_wait. An event delivered again
// after its acknowledgement was confirmed is acknowledged again, not run again.
//
// A failed callback, attempt n = the message's delivery count, against the plugin's FailurePolicy:
// - a retryable result (retry_on) with deliveries left: Nak with the backoff as delay; the redelivery
//   resumes at that callback when it comes back to this worker, else runs every callback again;
// - a retryable result on the last delivery (max_deliver = retry_attempts), or any failure with
//   stopOnError off: recorded in the failures stream, then acknowledged, and the consumer moves on;
// - a non-retryable Error with stopOnError on: the plugin is deactivated, as the original does. The event
//   is left unacknowledged (another worker, or this one after a reload, gets it after ack_wait; on its
//   last delivery it is recorded first, since the server will not deliver it again), and this worker
//   fetches nothing more for the plugin until replace() (its file changed) reactivates it.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "broker/connection.h"
#include "broker/consumer_config.h"
#include "broker/failures.h"
#include "broker/heartbeat.h"
#include "core/log.h"
#include "engine/failure_policy.h"
#include "plugins/plugin.h"

namespace sgeventd::broker {

struct PluginConsumerOptions {
  std::string stream = "SGEVENTS";
  std::string site;
  std::chrono::milliseconds ackWait{30000};
  bool startAtFirst = false;                    // new_consumer_start = all
  std::chrono::milliseconds fetchTimeout{500};  // how long one fetch waits: bounds how late a stop is seen
  std::chrono::milliseconds retryPause{500};    // after a fetch or bind error
};

class PluginConsumer {
 public:
  PluginConsumer(ConnectionPtr connection, std::shared_ptr<FailureRecorder> failures,
                 PluginConsumerOptions options, plugins::PluginPtr plugin, engine::FailurePolicy policy,
                 core::LoggerPtr log);
  // Stops (after the callback in flight, which is acknowledged) and joins the thread.
  ~PluginConsumer();
  PluginConsumer(const PluginConsumer&) = delete;
  PluginConsumer& operator=(const PluginConsumer&) = delete;

  // A new version of the plugin (its file changed): taken between events; reactivates a deactivated
  // plugin and brings the consumer to the new callbacks' filter.
  void replace(plugins::PluginPtr plugin, engine::FailurePolicy policy);
  // Asks the thread to stop after the event in flight; the destructor waits for it.
  void requestStop();

 private:
  struct Replacement {
    plugins::PluginPtr plugin;
    engine::FailurePolicy policy;
  };
  void run();
  void adopt(plugins::PluginPtr plugin, engine::FailurePolicy policy);
  bool bind();
  void fetchOne();
  void handle(natsMsg* message);
  // Runs the callbacks from `first`; nullopt when all returned Ok, else the failed one and its result.
  std::optional<std::pair<std::size_t, plugins::InvokeResult>> runCallbacks(const core::Event& event,
                                                                            std::size_t first);
  void acknowledge(natsMsg* message, std::int64_t eventId);
  void giveUp(natsMsg* message, const std::string& callback, std::int64_t eventId, int attempts,
              const std::string& error, bool ack);
  void outage(const std::string& why);
  void recovered();
  bool pause();  // false when a stop or a replacement came during it

  ConnectionPtr connection_;
  std::shared_ptr<FailureRecorder> failures_;
  PluginConsumerOptions options_;
  core::LoggerPtr log_;
  plugins::PluginPtr plugin_;
  engine::FailurePolicy policy_;
  std::optional<engine::FailureHandling> handling_;
  ConsumerSettings settings_;
  SubscriptionPtr subscription_;
  bool deactivated_ = false;
  bool inOutage_ = false;
  std::uint64_t resumeSequence_ = 0;  // the stream sequence whose redelivery resumes at resumeCallback_
  std::size_t resumeCallback_ = 0;
  // The last event whose acknowledgement the server confirmed, by stream sequence and event id. A
  // clustered stream whose consumer leader dies can deliver such events again (the replica that takes
  // over had not applied the last acknowledgements): they are acknowledged again, not run again.
  std::uint64_t confirmedSequence_ = 0;
  std::int64_t confirmedEventId_ = 0;
  Heartbeat heartbeat_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Replacement> replacement_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sgeventd::broker
