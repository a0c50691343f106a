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
  for (const auto& event : upcoming) {
    if (handed_.contains(event->id)) {
      continue;
    }
    // Never waits: with the publisher's window full, the rest is handed over by invoke() in turn.
    if (!publisher_.fits(*event) || !publisher_.publish(*event, std::chrono::milliseconds(0))) {
      return;
    }
    handed_.insert(event->id);
    owed_.insert(event->id);
  }
}

plugins::InvokeResult PublisherPlugin::invoke(std::size_t index, const core::Event& event,
                                              plugins::Deadline deadline) {
  (void)index;
  (void)deadline;  // the publisher has no callback_timeout: it waits for the stream, not for code
  owed_.erase(event.id);
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
