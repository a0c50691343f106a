#include "engine/dispatcher.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/crash_note.h"

namespace sgeventd::engine {
namespace {

std::int64_t micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// The callback a resume point names: by name first (a reload may have added or removed callbacks).
std::size_t resumeIndex(const ResumePoint& resume, const std::vector<plugins::CallbackInfo>& callbacks) {
  for (std::size_t i = 0; i < callbacks.size(); ++i) {
    if (callbacks[i].name == resume.callback) {
      return i;
    }
  }
  return std::min(resume.index, callbacks.size());
}

}  // namespace

plugins::InvokeResult Dispatcher::invoke(Member& m, std::size_t callback, const core::Event& event,
                                         std::size_t memberIndex) {
  const auto& cb = m.plugin->callbacks()[callback];
  const auto start = context_.clock->now();
  if (context_.activity != nullptr) {
    context_.activity->begin(memberIndex, cb.name, event.id, micros(start));
  }
  const auto& policy = m.failures.policy();
  plugins::Deadline deadline;
  if (policy.callbackTimeout) {
    deadline = context_.clock->steadyNow() + *policy.callbackTimeout;
  }
  plugins::InvokeResult result;
  {
    // Should this call take the daemon down, the fatal-signal handler notes who did (crash_note.h).
    const crash_note::InCallback inFlight(m.id, cb.name, event.id);
    result = m.plugin->invoke(callback, event, deadline);
  }
  const auto end = context_.clock->now();
  if (context_.activity != nullptr) {
    context_.activity->end();
  }
  if (policy.callbackTimeout && !policy.inWorkerProcess && end - start > *policy.callbackTimeout) {
    // It was (or was about to be) reported stuck by Engine::reportStuck; this ends the report.
    context_.engineLog->info(fmt::format(
        "Plugin {}: callback {} returned on event {} after {:.1f} s, past its callback_timeout of "
        "{} s; it is no longer stuck.",
        m.id.name, cb.name, event.id, std::chrono::duration<double>(end - start).count(),
        std::chrono::duration<double>(*policy.callbackTimeout).count()));
  }
  m.metrics.duration->observe(std::chrono::duration<double>(end - start).count());
  if (context_.timing) {
    context_.timing(
        {event.id, event.createdAt, "plugin." + m.id.name + "." + cb.name, start, end, !result.ok()});
  }
  return result;
}

void Dispatcher::reportGivenUp(Member& m, std::size_t callback, const plugins::InvokeResult& result) {
  if (!result.transient() || !context_.logs) {
    return;  // an Error was logged at CRITICAL, with its traceback, by the plugin side already
  }
  context_.logs->get("plugin." + m.id.name + "." + m.plugin->callbacks()[callback].name)
      ->critical("An error occured processing an event.\n\n" + result.message);
}

void Dispatcher::deactivate(Member& m, const core::Event& event, std::size_t callback, int attempts,
                            const std::string& error) {
  const auto& cb = m.plugin->callbacks()[callback];
  m.state = MemberState::Deactivated;
  m.resume = ResumePoint{event.id, cb.name, callback};
  m.reason = fmt::format("callback {} failed on event {} after {} attempt(s): {}", cb.name, event.id,
                         attempts, error.substr(0, 500));
  std::string when = "when its file changes, on SIGHUP or when an operator enables it";
  const auto after = m.failures.policy().reactivateAfter;
  if (after.count() > 0) {
    m.reactivateAt = context_.clock->steadyNow() + after;
    when = fmt::format("in {} s, or {}", after.count(), when);
  }
  context_.engineLog->warning(fmt::format("Plugin {} deactivated: {}. It resumes at event {} {}.", m.id.name,
                                          m.reason, event.id, when));
  (void)context_.store.setPluginStatus({m.id.collection, m.id.name, store::PluginState::Inactive, m.reason,
                                        context_.clock->now(), event.id, cb.name});
}

DispatchResult Dispatcher::dispatch(Member& m, const core::EventPtr& eventPtr, std::size_t memberIndex) {
  const core::Event& event = *eventPtr;
  const auto& callbacks = m.plugin->callbacks();
  std::size_t first = 0;
  int attempt = 1;
  if (m.retry && m.retry->event->id == event.id) {
    first = std::min(m.retry->callback, callbacks.size());
    attempt = m.retry->nextAttempt;
    m.retry.reset();
    m.state = MemberState::Active;
  } else if (m.resume.eventId == event.id) {
    first = resumeIndex(m.resume, callbacks);
  }
  m.resume = {};
  bool ran = false;
  for (std::size_t i = first; i < callbacks.size(); ++i) {
    const auto& cb = callbacks[i];
    if (!core::matchesEvent(cb.match, event)) {
      continue;
    }
    ran = true;
    if (m.log->enabled(core::LogLevel::Debug)) {
      m.log->debug(fmt::format("Dispatching event {} to callback {}.", event.id, cb.name));
    }
    const auto result = invoke(m, i, event, memberIndex);
    if (result.ok()) {
      attempt = 1;
      continue;
    }
    ++m.failedAttempts;
    m.metrics.failed->inc();
    m.lastError = result.message.substr(0, 2000);
    const auto decision = m.failures.decide(result, attempt, cb.stopOnError);
    const bool final = decision.kind != FailureDecision::Kind::RetryLater;
    (void)context_.store.recordFailure({m.id.collection, m.id.name, cb.name, event.id, attempt,
                                        result.message, context_.clock->now(), final, event.json});
    switch (decision.kind) {
      case FailureDecision::Kind::RetryLater:
        m.retry = PendingRetry{eventPtr, i, attempt + 1, context_.clock->steadyNow() + decision.delay};
        m.state = MemberState::Retrying;
        ++m.retries;
        m.metrics.retried->inc();
        m.log->warning(
            fmt::format("Callback {} failed on event {} ({}, attempt {} of {}); retrying in {} ms.", cb.name,
                        event.id, plugins::invokeStatusName(result.status), attempt,
                        m.failures.policy().attempts, decision.delay.count()));
        return DispatchResult::Waiting;
      case FailureDecision::Kind::Deactivate:
        reportGivenUp(m, i, result);
        deactivate(m, event, i, attempt, result.message);
        return DispatchResult::Deactivated;
      case FailureDecision::Kind::Skip:
        reportGivenUp(m, i, result);
        ++m.skipped;
        m.metrics.skipped->inc();
        m.log->error(
            fmt::format("Callback {} failed on event {} after {} attempt(s); stopOnError is off, so the "
                        "event is recorded as failed and skipped.",
                        cb.name, event.id, attempt));
        attempt = 1;
        break;
    }
  }
  return ran ? DispatchResult::DoneRan : DispatchResult::Done;
}

plugins::InvokeResult Dispatcher::replay(Member& m, std::size_t callback, const core::EventPtr& event,
                                         std::size_t memberIndex) {
  const auto& cb = m.plugin->callbacks()[callback];
  auto result = invoke(m, callback, *event, memberIndex);
  if (result.ok()) {
    context_.engineLog->info(fmt::format("Replayed event {} through callback {} of plugin {}: it succeeded.",
                                         event->id, cb.name, m.id.name));
    return result;
  }
  ++m.failedAttempts;
  m.metrics.failed->inc();
  m.lastError = result.message.substr(0, 2000);
  (void)context_.store.recordFailure({m.id.collection, m.id.name, cb.name, event->id, 1, result.message,
                                      context_.clock->now(), true, event->json});
  context_.engineLog->warning(fmt::format(
      "Replayed event {} through callback {} of plugin {}: it failed again.", event->id, cb.name, m.id.name));
  return result;
}

}  // namespace sgeventd::engine
