#include "broker/plugin_consumer.h"

#include <fmt/format.h>

#include "broker/subjects.h"
#include "shotgrid/event_codec.h"

namespace sgeventd::broker {

namespace {

std::vector<core::MatchSpec> matchSpecs(const plugins::Plugin& plugin) {
  std::vector<core::MatchSpec> specs;
  for (const auto& callback : plugin.callbacks()) {
    specs.push_back(callback.match);
  }
  return specs;
}

Expected<core::Event> decode(natsMsg* message) {
  const std::string_view payload(natsMsg_GetData(message),
                                 static_cast<std::size_t>(natsMsg_GetDataLength(message)));
  auto json = shotgrid::Json::parse(payload, nullptr, false);
  if (json.is_discarded()) {
    return fail("the message is not JSON");
  }
  auto event = shotgrid::eventFromRecord(std::move(json));
  if (event) {
    event->json = std::string(payload);  // what the stream holds, byte for byte
  }
  return event;
}

std::int64_t eventIdOfMessage(natsMsg* message, const std::string& site) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(message, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
    return eventIdOf(site, id).value_or(0);
  }
  return 0;
}

}  // namespace

PluginConsumer::PluginConsumer(ConnectionPtr connection, std::shared_ptr<FailureRecorder> failures,
                               PluginConsumerOptions options, plugins::PluginPtr plugin,
                               engine::FailurePolicy policy, core::LoggerPtr log)
    : connection_(std::move(connection)),
      failures_(std::move(failures)),
      options_(std::move(options)),
      log_(std::move(log)),
      heartbeat_(options_.ackWait / 3) {
  adopt(std::move(plugin), policy);
  thread_ = std::thread([this] { run(); });
}

PluginConsumer::~PluginConsumer() {
  requestStop();
  thread_.join();
}

void PluginConsumer::requestStop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
}

void PluginConsumer::replace(plugins::PluginPtr plugin, engine::FailurePolicy policy) {
  {
    std::lock_guard lock(mutex_);
    replacement_ = Replacement{std::move(plugin), policy};
  }
  changed_.notify_all();
}

void PluginConsumer::adopt(plugins::PluginPtr plugin, engine::FailurePolicy policy) {
  plugin_ = std::move(plugin);
  policy_ = policy;
  handling_.emplace(policy);
  const std::string name = plugin_->id().name;
  settings_ = ConsumerSettings{.stream = options_.stream,
                               .name = consumerName(name),
                               .filter = filterSubject(options_.site, matchSpecs(*plugin_)),
                               .ackWait = options_.ackWait,
                               .maxDeliver = std::max(policy.attempts, 1),
                               .startAtFirst = options_.startAtFirst};
  subscription_.reset();  // bound again, to the new settings
  resumeSequence_ = 0;
  if (deactivated_) {
    log_->info("Plugin " + name + " changed on disk: it is active again and fetches from " + settings_.name);
  }
  deactivated_ = false;
}

void PluginConsumer::run() {
  for (;;) {
    std::optional<Replacement> replacement;
    {
      std::unique_lock lock(mutex_);
      // A deactivated plugin waits for a new version of its file (or the stop).
      changed_.wait(lock, [this] { return stop_ || replacement_ || !deactivated_; });
      if (stop_) {
        return;
      }
      replacement.swap(replacement_);
    }
    if (replacement) {
      adopt(std::move(replacement->plugin), replacement->policy);
    }
    if (!subscription_ && !bind()) {
      pause();
      continue;
    }
    fetchOne();
  }
}

bool PluginConsumer::bind() {
  auto ensured = ensureConsumer(*connection_, settings_);
  if (!ensured) {
    outage(ensured.error().message);
    return false;
  }
  if (*ensured != ConsumerChange::Unchanged) {
    log_->info(fmt::format("Consumer {} {} (filter {}, max_deliver {}, ack_wait {} ms)", settings_.name,
                           consumerChangeName(*ensured), settings_.filter, settings_.maxDeliver,
                           settings_.ackWait.count()));
  }
  auto bound = bindConsumer(*connection_, settings_);
  if (!bound) {
    outage(bound.error().message);
    return false;
  }
  subscription_ = std::move(*bound);
  return true;
}

void PluginConsumer::fetchOne() {
  MessageList batch;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s =
      natsSubscription_Fetch(batch.get(), subscription_.get(), 1, options_.fetchTimeout.count(), &code);
  if (s == NATS_TIMEOUT) {
    // Nothing new, or the server is away: a fetch while disconnected only times out.
    if (connection_->connected()) {
      recovered();
    } else {
      outage("not connected to the NATS server");
    }
    return;
  }
  if (s != NATS_OK) {
    outage(natsError("cannot fetch from " + settings_.name, s, code).message);
    // Bound again after the pause: the consumer may be gone (a server that lost its store).
    subscription_.reset();
    pause();
    return;
  }
  recovered();
  for (int i = 0; i < batch.size(); ++i) {
    handle(batch[i]);
  }
}

void PluginConsumer::handle(natsMsg* message) {
  jsMsgMetaData* rawMeta = nullptr;
  natsMsg_GetMetaData(&rawMeta, message);
  MetaDataPtr meta(rawMeta);
  const int delivered = meta ? static_cast<int>(meta->NumDelivered) : 1;
  const std::uint64_t sequence = meta ? meta->Sequence.Stream : 0;
  const std::int64_t eventId = eventIdOfMessage(message, subjectToken(options_.site));

  // The event id too must not be above the confirmed one: a stream deleted and made again numbers its
  // messages from 1, and those are new events.
  if (sequence != 0 && eventId > 0 && sequence <= confirmedSequence_ && eventId <= confirmedEventId_) {
    log_->info(
        fmt::format("Event {} (stream sequence {}) came again after the server confirmed its "
                    "acknowledgement; it is acknowledged again, not run again.",
                    eventId, sequence));
    acknowledge(message, eventId);
    return;
  }
  auto event = decode(message);
  if (!event) {
    log_->error(fmt::format("Event {} (stream sequence {}) cannot be decoded: {}; it is recorded and skipped",
                            eventId, sequence, event.error().message));
    giveUp(message, "", eventId, delivered, "undecodable: " + event.error().message, true);
    return;
  }
  const std::size_t first = sequence != 0 && sequence == resumeSequence_ ? resumeCallback_ : 0;
  heartbeat_.arm(message);
  auto failed = runCallbacks(*event, first);
  heartbeat_.disarm();
  if (!failed) {
    resumeSequence_ = 0;
    acknowledge(message, event->id);
    return;
  }
  const auto& [index, result] = *failed;
  const auto& callback = plugin_->callbacks()[index];
  const std::string& name = plugin_->id().name;
  const bool retryable = handling_->retryable(result);
  if (retryable && delivered < settings_.maxDeliver) {
    const auto delay = core::Backoff(policy_.backoff).delay(delivered);
    resumeSequence_ = sequence;
    resumeCallback_ = index;
    natsMsg_NakWithDelay(message, delay.count(), nullptr);
    return;
  }
  resumeSequence_ = 0;
  const bool stopOnError = policy_.stopOnError.value_or(callback.stopOnError);
  if (!retryable && stopOnError) {
    // The plugin side logged the traceback at CRITICAL already; this says what happens now.
    log_->critical(fmt::format(
        "Plugin {} is deactivated: callback {} failed on event {} (stopOnError). It fetches nothing more "
        "here "
        "until its file changes; event {} stays unacknowledged for another worker or the fixed plugin.\n{}",
        name, callback.name, event->id, event->id, result.message));
    if (delivered >= settings_.maxDeliver) {
      // The server will not deliver it again: keep it in the failures stream rather than lose it.
      giveUp(message, callback.name, event->id, delivered, result.message, false);
    }
    deactivated_ = true;
    subscription_.reset();
    return;
  }
  // A transient failure given up on is logged here as the failure it has become (the plugin logged a
  // WARNING per attempt); a plain Error was logged at CRITICAL by the plugin side.
  if (result.transient()) {
    log_->error(fmt::format("Callback {} of plugin {} failed on event {} after {} deliveries ({}): {}",
                            callback.name, name, event->id, delivered, invokeStatusName(result.status),
                            result.message));
  }
  giveUp(message, callback.name, event->id, delivered, result.message, true);
}

std::optional<std::pair<std::size_t, plugins::InvokeResult>> PluginConsumer::runCallbacks(
    const core::Event& event, std::size_t first) {
  const auto& callbacks = plugin_->callbacks();
  for (std::size_t i = first; i < callbacks.size(); ++i) {
    if (!core::matchesEvent(callbacks[i].match, event)) {
      continue;
    }
    plugins::Deadline deadline;
    if (policy_.callbackTimeout) {
      deadline = std::chrono::steady_clock::now() + *policy_.callbackTimeout;
    }
    auto result = plugin_->invoke(i, event, deadline);
    if (!result.ok()) {
      return std::make_pair(i, std::move(result));
    }
  }
  return std::nullopt;
}

void PluginConsumer::acknowledge(natsMsg* message, std::int64_t eventId) {
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = natsMsg_AckSync(message, nullptr, &code);
  if (s == NATS_OK) {
    jsMsgMetaData* rawMeta = nullptr;
    natsMsg_GetMetaData(&rawMeta, message);
    MetaDataPtr meta(rawMeta);
    if (meta && meta->Sequence.Stream > confirmedSequence_) {
      confirmedSequence_ = meta->Sequence.Stream;
      confirmedEventId_ = eventId;
    }
  } else {
    // The callbacks ran; without a confirmed ack the event comes again after ack_wait (at least once).
    log_->warning(natsError(fmt::format("Event {} ran but its acknowledgement was not confirmed; it will be "
                                        "delivered again",
                                        eventId),
                            s, code)
                      .message);
  }
}

void PluginConsumer::giveUp(natsMsg* message, const std::string& callback, std::int64_t eventId, int attempts,
                            const std::string& error, bool ack) {
  FailureRecord record{.plugin = plugin_->id().name,
                       .eventId = eventId,
                       .callback = callback,
                       .attempts = attempts,
                       .error = error,
                       .event = std::string(natsMsg_GetData(message),
                                            static_cast<std::size_t>(natsMsg_GetDataLength(message)))};
  // The record comes first: an event acknowledged without it would be lost from view. While the server
  // is away it is tried again; a stop leaves the event unacknowledged (delivered again, or, after its
  // last delivery, only in the server's max-deliveries advisory).
  for (;;) {
    auto recorded = failures_->record(record);
    if (recorded) {
      recovered();
      break;
    }
    outage(recorded.error().message);
    if (!pause()) {
      return;
    }
  }
  if (ack) {
    acknowledge(message, eventId);
  }
}

void PluginConsumer::outage(const std::string& why) {
  if (!inOutage_) {
    inOutage_ = true;
    log_->warning("Plugin " + plugin_->id().name + ": " + why + "; retrying until the broker answers");
  }
}

void PluginConsumer::recovered() {
  if (inOutage_) {
    inOutage_ = false;
    log_->info("Plugin " + plugin_->id().name + ": the broker answers again");
  }
}

bool PluginConsumer::pause() {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, options_.retryPause, [this] { return stop_ || replacement_.has_value(); });
}

}  // namespace sgeventd::broker
