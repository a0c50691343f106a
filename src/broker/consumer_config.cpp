#include "broker/consumer_config.h"

#include <optional>

#include "broker/subjects.h"

namespace sgeventd::broker {

namespace {

constexpr std::int64_t kNanosPerMilli = 1000000;

bool notFound(natsStatus s, jsErrCode code) { return s == NATS_NOT_FOUND || code == JSConsumerNotFoundErr; }

void applySettings(jsConsumerConfig& config, const ConsumerSettings& settings) {
  config.Durable = settings.name.c_str();
  config.FilterSubject = settings.filter.c_str();
  config.AckPolicy = js_AckExplicit;
  config.AckWait = settings.ackWait.count() * kNanosPerMilli;
  config.MaxDeliver = settings.maxDeliver;
  config.MaxAckPending = 1;  // the server hands out the next event only once this one is acknowledged
}

Expected<void> add(const Connection& connection, const ConsumerSettings& settings, jsDeliverPolicy policy,
                   std::uint64_t startSequence) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  applySettings(config, settings);
  config.DeliverPolicy = policy;
  config.OptStartSeq = startSequence;
  jsConsumerInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_AddConsumer(&raw, connection.jetStream(), settings.stream.c_str(), &config, nullptr, &code);
  ConsumerInfoPtr created(raw);
  if (s != NATS_OK) {
    return unexpected(natsError("cannot create the consumer " + settings.name, s, code));
  }
  return {};
}

}  // namespace

std::string consumerName(std::string_view pluginName) {
  std::string name = "sgeventd-";
  for (const char ch : pluginName) {
    const bool kept = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '_' || ch == '-';
    name.push_back(kept ? ch : '_');
  }
  return name;
}

std::string filterSubject(std::string_view site, const std::vector<core::MatchSpec>& specs) {
  std::optional<std::string> only;
  for (const auto& spec : specs) {
    if (spec.matchAll || spec.byEventType.size() != 1 || spec.byEventType.begin()->first == "*") {
      return siteSubjects(site);
    }
    const std::string& type = spec.byEventType.begin()->first;
    if (only && *only != type) {
      return siteSubjects(site);
    }
    only = type;
  }
  if (!only) {
    return siteSubjects(site);
  }
  return std::string(kSubjectPrefix) + "." + subjectToken(site) + ".*." + subjectToken(*only);
}

std::string_view consumerChangeName(ConsumerChange change) {
  switch (change) {
    case ConsumerChange::Created:
      return "created";
    case ConsumerChange::Unchanged:
      return "unchanged";
    case ConsumerChange::Updated:
      return "updated";
    case ConsumerChange::Recreated:
      return "recreated";
  }
  return "?";
}

Expected<ConsumerChange> ensureConsumer(const Connection& connection, const ConsumerSettings& settings) {
  jsConsumerInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&raw, connection.jetStream(), settings.stream.c_str(),
                                    settings.name.c_str(), nullptr, &code);
  ConsumerInfoPtr info(raw);
  if (notFound(s, code)) {
    auto added = add(connection, settings, settings.startAtFirst ? js_DeliverAll : js_DeliverNew, 0);
    if (!added) {
      // Another worker may have created it in the meantime: its settings are ours, so read it again.
      raw = nullptr;
      code = static_cast<jsErrCode>(0);
      s = js_GetConsumerInfo(&raw, connection.jetStream(), settings.stream.c_str(), settings.name.c_str(),
                             nullptr, &code);
      info.reset(raw);
      if (s != NATS_OK) {
        return unexpected(added.error());
      }
    } else {
      return ConsumerChange::Created;
    }
  } else if (s != NATS_OK) {
    return unexpected(natsError("cannot read the consumer " + settings.name, s, code));
  }
  const jsConsumerConfig& current = *info->Config;
  const std::string currentFilter = current.FilterSubject != nullptr ? current.FilterSubject : "";
  if (currentFilter != settings.filter) {
    // Resume after what the plugin acknowledged under its old filter. With nothing acknowledged yet,
    // the consumer starts as it first did (all, or the newest).
    const std::uint64_t ackFloor = info->AckFloor.Stream;
    const jsDeliverPolicy firstPolicy = current.DeliverPolicy;
    s = js_DeleteConsumer(connection.jetStream(), settings.stream.c_str(), settings.name.c_str(), nullptr,
                          &code);
    if (s != NATS_OK && !notFound(s, code)) {
      return unexpected(
          natsError("cannot delete the consumer " + settings.name + " to change its filter", s, code));
    }
    auto added = ackFloor > 0 ? add(connection, settings, js_DeliverByStartSequence, ackFloor + 1)
                              : add(connection, settings, firstPolicy, current.OptStartSeq);
    if (!added) {
      return unexpected(added.error());
    }
    return ConsumerChange::Recreated;
  }
  const bool same = current.AckPolicy == js_AckExplicit &&
                    current.AckWait == settings.ackWait.count() * kNanosPerMilli &&
                    current.MaxDeliver == settings.maxDeliver && current.MaxAckPending == 1;
  if (same) {
    return ConsumerChange::Unchanged;
  }
  jsConsumerConfig config = current;  // what cannot change (the deliver policy, the start) stays as it is
  applySettings(config, settings);
  raw = nullptr;
  s = js_UpdateConsumer(&raw, connection.jetStream(), settings.stream.c_str(), &config, nullptr, &code);
  ConsumerInfoPtr updated(raw);
  if (s != NATS_OK) {
    return unexpected(natsError("cannot update the consumer " + settings.name, s, code));
  }
  return ConsumerChange::Updated;
}

Expected<SubscriptionPtr> bindConsumer(const Connection& connection, const ConsumerSettings& settings) {
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = settings.stream.c_str();
  options.Consumer = settings.name.c_str();
  options.ManualAck = true;
  natsSubscription* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_PullSubscribe(&raw, connection.jetStream(), settings.filter.c_str(),
                                        settings.name.c_str(), nullptr, &options, &code);
  if (s != NATS_OK) {
    return unexpected(natsError("cannot bind to the consumer " + settings.name, s, code));
  }
  return SubscriptionPtr(raw);
}

}  // namespace sgeventd::broker
