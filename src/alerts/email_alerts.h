#pragma once
// The e-mail alerts as the daemon runs them: the handler for the log factory, the recipients the app
// keeps up to date, and the sender thread. Built before the log files (the handler goes into them),
// started once the engine logger exists, stopped before the log files close.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "alerts/alert_sender.h"
#include "alerts/email_handler.h"
#include "alerts/recipient_book.h"
#include "config/daemon_config.h"

namespace sgeventd::alerts {

struct EmailAlertsDeps {
  core::ClockPtr clock;
  core::MetricsPtr metrics;
  MailTransportPtr transport;  // null: SMTP through libcurl
  std::string host;            // empty: gethostname()
};

class EmailAlerts {
 public:
  EmailAlerts(const config::EmailSettings& settings, EmailAlertsDeps deps);
  ~EmailAlerts();
  EmailAlerts(const EmailAlerts&) = delete;
  EmailAlerts& operator=(const EmailAlerts&) = delete;

  logging::HandlerPtr handler() const { return handler_; }
  RecipientBook& recipients() { return *recipients_; }

  // Starts the sender thread; its warnings go to `log`.
  void start(core::LoggerPtr log);
  // Sends what is queued for at most `bound`, then ends the thread. Later records are queued, not sent.
  void stop(std::chrono::milliseconds bound);

 private:
  void run();

  std::shared_ptr<AlertQueue> queue_;
  std::shared_ptr<RecipientBook> recipients_;
  logging::HandlerPtr handler_;
  core::ClockPtr clock_;
  AlertSender sender_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> drainMillis_{0};
  std::thread thread_;
};

}  // namespace sgeventd::alerts
