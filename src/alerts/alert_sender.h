#pragma once
// The sender: takes alerts off the queue, coalesces, caps, composes and delivers them, and retries a
// failed delivery with backoff. pump() is one pass on the injected clock (tests drive it by hand); run()
// is the thread's loop around it, and stop() sends what it can within a bound.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "alerts/alert_queue.h"
#include "alerts/coalescer.h"
#include "alerts/hourly_cap.h"
#include "alerts/mail_format.h"
#include "alerts/smtp_transport.h"
#include "config/daemon_config.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

namespace sgeventd::alerts {

struct SenderDeps {
  std::shared_ptr<AlertQueue> queue;
  MailTransportPtr transport;
  core::ClockPtr clock;
  core::MetricsPtr metrics;
  std::string host;  // full host name; the subject shows the part before the first dot
  core::BackoffPolicy backoff{std::chrono::seconds(2), std::chrono::minutes(5)};
  std::uint64_t seed = 0;  // backoff jitter; 0: random
};

class AlertSender {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  AlertSender(const config::EmailSettings& settings, SenderDeps deps);

  // Where the sender's own warnings go (engine); they are never mailed (SenderThreadScope).
  void setLog(core::LoggerPtr log);
  // One pass: queued alerts in, due summaries out, mails sent while the cap and the server allow.
  // Sends at most `maxMails` (the thread sends one per pass, so a stop is heard between mails).
  // Returns when there is something to do next (nullopt: nothing until a new alert arrives).
  std::optional<TimePoint> pump(std::size_t maxMails = SIZE_MAX);
  // At a stop: every pending summary joins the outbox, and mails go out until it is empty, the server
  // fails, or `deadline` (steady clock of the injected clock) passes. Returns how many were left.
  std::size_t drain(TimePoint deadline);

  std::size_t outboxSize() const;
  bool failing() const;

 private:
  struct Pending {
    Alert alert;
    MailNotes notes;  // repeats only; the counters are added when it is sent
  };
  enum class Outcome { Sent, Retry, Dropped };

  void intake(TimePoint now);
  void enqueue(Pending pending);
  Outcome sendHead(TimePoint now, std::chrono::milliseconds timeout);
  void noteFailure(const SendResult& result, bool willRetry);
  core::LoggerPtr log() const;

  const config::EmailSettings settings_;
  SenderDeps deps_;
  const std::string shortHost_;
  Coalescer coalescer_;
  HourlyCap cap_;
  core::Backoff backoff_;
  core::CounterPtr sent_;
  core::CounterPtr droppedFull_;
  core::CounterPtr droppedCap_;
  core::CounterPtr droppedRejected_;
  core::CounterPtr droppedShutdown_;
  core::CounterPtr coalesced_;

  mutable std::mutex mutex_;  // the outbox and state, for the accessors; the thread does the work
  std::deque<Pending> outbox_;
  std::uint64_t suppressedByCap_ = 0;
  std::uint64_t droppedQueueFull_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t sequence_ = 0;
  int attempt_ = 0;  // failed attempts in a row
  std::optional<TimePoint> retryAt_;
  bool failing_ = false;  // logged once per outage, until a mail gets through
  core::LoggerPtr log_;
};

}  // namespace sgeventd::alerts
