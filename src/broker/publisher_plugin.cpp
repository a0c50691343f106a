#include "broker/publisher_plugin.h"

#include <fmt/format.h>

namespace sgeventd::broker {

namespace {
// How often a wait for a PubAck looks at the stop request.
constexpr std::chrono::milliseconds kStopCheck{200};
}  // namespace

plugins::PluginId PublisherPlugin::pluginId(const std::string& stream) {
  // The path is only shown; nothing is loaded from it.
  return plugins::PluginId{kCollection, kName, "nats-jetstream:" + stream};
}

PublisherPlugin::PublisherPlugin(plugins::PluginId id, Publisher& publisher, core::Shutdown& shutdown,
                                 core::LoggerPtr log)
    : id_(std::move(id)), publisher_(publisher), shutdown_(shutdown), log_(std::move(log)) {
  callbacks_.push_back(plugins::CallbackInfo{"publish", core::MatchSpec::all(), true});
}

void PublisherPlugin::offer(const std::vector<core::EventPtr>& upcoming) {
  waiting_.assign(upcoming.begin(), upcoming.end());
  for (const auto& event : upcoming) {
    owed_.insert(event->id);
  }
  handOver();
}

void PublisherPlugin::handOver() {
  // Never waits: with the publisher's window full, the rest goes as PubAcks come back (each invoke()).
  while (!waiting_.empty()) {
    const core::Event& event = *waiting_.front();
    if (!handed_.contains(event.id)) {
      if (!publisher_.fits(event) || !publisher_.publish(event, std::chrono::milliseconds(0))) {
        return;
      }
      handed_.insert(event.id);
    }
    waiting_.pop_front();
  }
}

void PublisherPlugin::withdrawOffer() {
  owed_.clear();
  waiting_.clear();
}

plugins::InvokeResult PublisherPlugin::invoke(std::size_t index, const core::Event& event,
                                              plugins::Deadline deadline) {
  (void)index;
  (void)deadline;  // the publisher has no callback_timeout: it waits for the stream, not for code
  owed_.erase(event.id);
  handOver();
  if (auto fits = publisher_.fits(event); !fits) {
    // The stream can never hold it: recorded as failed and skipped, never retried forever.
    const auto message = fmt::format("Event {} cannot be published: {}", event.id, fits.error().message);
    log_->critical(message);
    return plugins::InvokeResult::error(message);
  }
  if (!handed_.contains(event.id)) {
    while (!publisher_.publish(event, kStopCheck)) {
      if (shutdown_.requested()) {
        return plugins::InvokeResult::failure(plugins::InvokeStatus::Retry, "stopping before publishing");
      }
    }
    handed_.insert(event.id);
  }
  while (!publisher_.waitAcknowledged(event.id, kStopCheck)) {
    if (shutdown_.requested()) {
      return plugins::InvokeResult::failure(
          plugins::InvokeStatus::Retry,
          fmt::format("stopping before JetStream acknowledged event {}", event.id));
    }
  }
  handed_.erase(event.id);
  return plugins::InvokeResult::success();
}

}  // namespace sgeventd::broker
