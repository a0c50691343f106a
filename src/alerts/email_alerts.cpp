#include "alerts/email_alerts.h"

namespace sgeventd::alerts {
namespace {

SenderDeps senderDeps(const config::EmailSettings& settings, std::shared_ptr<AlertQueue> queue,
                      EmailAlertsDeps& deps) {
  SenderDeps out;
  out.queue = std::move(queue);
  out.transport = deps.transport ? std::move(deps.transport) : makeSmtpTransport(settings);
  out.clock = deps.clock ? deps.clock : core::systemClock();
  out.metrics = deps.metrics ? deps.metrics : core::discardMetrics();
  out.host = deps.host.empty() ? hostName() : deps.host;
  return out;
}

}  // namespace

EmailAlerts::EmailAlerts(const config::EmailSettings& settings, EmailAlertsDeps deps)
    : queue_(std::make_shared<AlertQueue>(static_cast<std::size_t>(std::max(1, settings.queueSize)))),
      recipients_(std::make_shared<RecipientBook>(settings.to)),
      clock_(deps.clock ? deps.clock : core::systemClock()),
      sender_(settings, senderDeps(settings, queue_, deps)) {
  auto metrics = deps.metrics ? deps.metrics : core::discardMetrics();
  handler_ = std::make_shared<EmailHandler>(
      queue_, recipients_,
      metrics->counter("sgeventd_emails_dropped_total", "E-mail alerts not sent, by reason",
                       {{"reason", "queue_full"}}));
}

EmailAlerts::~EmailAlerts() { stop(std::chrono::seconds(2)); }

void EmailAlerts::start(core::LoggerPtr log) {
  sender_.setLog(std::move(log));
  if (!thread_.joinable() && !stopping_) {
    thread_ = std::thread([this] { run(); });
  }
}

void EmailAlerts::stop(std::chrono::milliseconds bound) {
  if (!thread_.joinable()) {
    return;
  }
  drainMillis_ = bound.count();
  stopping_ = true;
  queue_->waker().interrupt();
  thread_.join();
}

void EmailAlerts::run() {
  SenderThreadScope scope;
  while (!stopping_) {
    const auto next = sender_.pump(1);
    // The wait is on the real clock; bounded, so an injected clock that moves on its own is followed.
    auto wait = std::chrono::steady_clock::duration(std::chrono::seconds(1));
    if (next) {
      wait = std::clamp<std::chrono::steady_clock::duration>(
          *next - clock_->steadyNow(), std::chrono::steady_clock::duration::zero(), wait);
    }
    queue_->waker().waitFor(wait);
  }
  sender_.drain(clock_->steadyNow() + std::chrono::milliseconds(drainMillis_.load()));
}

}  // namespace sgeventd::alerts
