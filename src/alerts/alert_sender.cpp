#include "alerts/alert_sender.h"

#include <algorithm>
#include <random>

namespace sgeventd::alerts {
namespace {

constexpr const char* kDroppedName = "sgeventd_emails_dropped_total";
constexpr const char* kDroppedHelp = "E-mail alerts not sent, by reason";

std::optional<AlertSender::TimePoint> earliest(std::optional<AlertSender::TimePoint> a,
                                               std::optional<AlertSender::TimePoint> b) {
  if (!a) {
    return b;
  }
  if (!b) {
    return a;
  }
  return std::min(*a, *b);
}

}  // namespace

AlertSender::AlertSender(const config::EmailSettings& settings, SenderDeps deps)
    : settings_(settings),
      deps_(std::move(deps)),
      shortHost_(shortHostName(deps_.host)),
      coalescer_(settings.coalesceWindow),
      cap_(settings.maxPerHour),
      backoff_(deps_.backoff, deps_.seed != 0 ? deps_.seed : std::random_device{}()) {
  if (!deps_.clock) {
    deps_.clock = core::systemClock();
  }
  if (!deps_.metrics) {
    deps_.metrics = core::discardMetrics();
  }
  auto& m = *deps_.metrics;
  sent_ = m.counter("sgeventd_emails_sent_total", "E-mail alerts the mail server accepted");
  droppedFull_ = m.counter(kDroppedName, kDroppedHelp, {{"reason", "queue_full"}});
  droppedCap_ = m.counter(kDroppedName, kDroppedHelp, {{"reason", "cap"}});
  droppedRejected_ = m.counter(kDroppedName, kDroppedHelp, {{"reason", "rejected"}});
  droppedShutdown_ = m.counter(kDroppedName, kDroppedHelp, {{"reason", "shutdown"}});
  coalesced_ = m.counter("sgeventd_emails_coalesced_total",
                         "Records not mailed on their own because an identical one was mailed just before");
}

void AlertSender::setLog(core::LoggerPtr log) {
  std::lock_guard lock(mutex_);
  log_ = std::move(log);
}

core::LoggerPtr AlertSender::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

std::size_t AlertSender::outboxSize() const {
  std::lock_guard lock(mutex_);
  return outbox_.size();
}

bool AlertSender::failing() const {
  std::lock_guard lock(mutex_);
  return failing_;
}

void AlertSender::enqueue(Pending pending) {
  std::lock_guard lock(mutex_);
  // The outbox holds what waits for the server; past the queue's size the newest go, so the oldest (the
  // first sign of a problem) are the ones that arrive.
  if (outbox_.size() >= deps_.queue->capacity()) {
    ++droppedQueueFull_;
    droppedFull_->inc();
    return;
  }
  outbox_.push_back(std::move(pending));
}

void AlertSender::intake(TimePoint now) {
  {
    std::lock_guard lock(mutex_);
    droppedQueueFull_ += deps_.queue->takeDropped();
  }
  // Closed windows first: a record arriving just after its window closed must not end that window's
  // count unsent.
  for (auto& summary : coalescer_.due(now)) {
    MailNotes notes;
    notes.repeats = summary.repeats;
    notes.firstRepeat = summary.firstRepeat;
    notes.lastRepeat = summary.last.time;
    enqueue({std::move(summary.last), notes});
  }
  for (auto& alert : deps_.queue->takeAll()) {
    if (coalescer_.admit(alert, now)) {
      enqueue({std::move(alert), {}});
    } else {
      coalesced_->inc();
    }
  }
}

void AlertSender::noteFailure(const SendResult& result, bool willRetry) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = !failing_;
    failing_ = true;
  }
  if (!first) {
    return;
  }
  if (auto l = log()) {
    const std::string what =
        willRetry ? "Could not send an e-mail alert through " + smtpUrl(settings_) + ": " + result.detail +
                        ". It is tried again with growing pauses; later alerts wait."
                  : "The mail server " + smtpUrl(settings_) + " refused an e-mail alert: " + result.detail +
                        ". It is dropped.";
    l->warning(what + " Further failures are not logged until a mail gets through.");
  }
}

AlertSender::Outcome AlertSender::sendHead(TimePoint now, std::chrono::milliseconds timeout) {
  Pending head;
  MailNotes notes;
  {
    std::lock_guard lock(mutex_);
    if (!cap_.allows(now)) {
      ++suppressedByCap_;
      droppedCap_->inc();
      outbox_.pop_front();
      return Outcome::Dropped;
    }
    head = outbox_.front();
    notes = head.notes;
    notes.suppressedByCap = suppressedByCap_;
    notes.maxPerHour = cap_.perHour();
    notes.droppedQueueFull = droppedQueueFull_;
    notes.rejected = rejected_;
    ++sequence_;
  }
  std::string body = bodyText(head.alert);
  if (const auto extra = notesText(notes); !extra.empty()) {
    body += "\n\n-- \n" + extra;  // the signature separator keeps the original body first and whole
  }
  const auto date = deps_.clock->now();
  MailHeaders headers{settings_.from, head.alert.to,
                      subjectLine(settings_.subject, head.alert.level, shortHost_), date,
                      makeMessageId(date, sequence_, deps_.host)};
  OutgoingMail mail;
  mail.from = envelopeAddress(settings_.from);
  for (const auto& to : head.alert.to) {
    mail.to.push_back(envelopeAddress(to));
  }
  mail.data = composeMessage(headers, body);

  const SendResult result = deps_.transport->send(mail, timeout);
  switch (result.kind) {
    case SendResult::Kind::Sent: {
      bool recovered = false;
      {
        std::lock_guard lock(mutex_);
        outbox_.pop_front();
        cap_.sent(now);
        // Only what this mail reported is cleared: alerts dropped while it was on the wire wait for the next.
        suppressedByCap_ -= notes.suppressedByCap;
        droppedQueueFull_ -= notes.droppedQueueFull;
        rejected_ -= notes.rejected;
        attempt_ = 0;
        recovered = failing_;
        failing_ = false;
      }
      sent_->inc();
      if (recovered) {
        if (auto l = log()) {
          l->info("E-mail alerts are delivered again through " + smtpUrl(settings_) + ".");
        }
      }
      return Outcome::Sent;
    }
    case SendResult::Kind::Rejected: {
      {
        std::lock_guard lock(mutex_);
        outbox_.pop_front();
        ++rejected_;
        attempt_ = 0;
      }
      droppedRejected_->inc();
      noteFailure(result, false);
      return Outcome::Dropped;
    }
    case SendResult::Kind::Transient:
      break;
  }
  {
    std::lock_guard lock(mutex_);
    ++attempt_;
  }
  noteFailure(result, true);
  return Outcome::Retry;
}

std::optional<AlertSender::TimePoint> AlertSender::pump(std::size_t maxMails) {
  auto now = deps_.clock->steadyNow();
  intake(now);
  if (retryAt_ && now < *retryAt_) {
    return earliest(retryAt_, coalescer_.nextDeadline());
  }
  retryAt_.reset();
  for (std::size_t tried = 0; tried < maxMails && outboxSize() > 0; ++tried) {
    const Outcome outcome = sendHead(now, settings_.timeout);
    now = deps_.clock->steadyNow();
    if (outcome == Outcome::Retry) {
      int attempt = 0;
      {
        std::lock_guard lock(mutex_);
        attempt = attempt_;
      }
      retryAt_ = now + backoff_.delay(attempt);
      break;
    }
  }
  if (!retryAt_ && outboxSize() > 0) {
    return now;  // more to send at once, after the caller had its look at a stop request
  }
  return earliest(retryAt_, coalescer_.nextDeadline());
}

std::size_t AlertSender::drain(TimePoint deadline) {
  auto now = deps_.clock->steadyNow();
  intake(now);
  for (auto& summary : coalescer_.flush()) {
    MailNotes notes;
    notes.repeats = summary.repeats;
    notes.firstRepeat = summary.firstRepeat;
    notes.lastRepeat = summary.last.time;
    enqueue({std::move(summary.last), notes});
  }
  while (outboxSize() > 0 && now < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (sendHead(now, std::min(settings_.timeout, std::max(left, std::chrono::milliseconds(1)))) ==
        Outcome::Retry) {
      break;  // no second try at a stop: the bound is for sending, not for waiting on a dead server
    }
    now = deps_.clock->steadyNow();
  }
  std::size_t left = 0;
  {
    std::lock_guard lock(mutex_);
    left = outbox_.size();
    outbox_.clear();
  }
  if (left > 0) {
    droppedShutdown_->inc(static_cast<double>(left));
    if (auto l = log()) {
      l->warning(std::to_string(left) + " e-mail alert" + (left == 1 ? " was" : "s were") +
                 " not sent before the daemon stopped (" + smtpUrl(settings_) +
                 "); the log files have them.");
    }
  }
  return left;
}

}  // namespace sgeventd::alerts
