#pragma once
// The logging::Handler the log factory attaches to `engine` and every `plugin.<name>`: records at ERROR
// and above are copied into the alert queue; nothing here waits for the network.
#include <memory>

#include "alerts/alert_queue.h"
#include "alerts/recipient_book.h"
#include "core/metrics.h"
#include "logging/handler.h"

namespace sgeventd::alerts {

// Marks the sender thread while it lives. Records that thread logs (its own "could not send" warning)
// are never queued: a mail about a failed mail would fail the same way, again and again.
class SenderThreadScope {
 public:
  SenderThreadScope();
  ~SenderThreadScope();
  SenderThreadScope(const SenderThreadScope&) = delete;
  SenderThreadScope& operator=(const SenderThreadScope&) = delete;
  static bool active();
};

class EmailHandler final : public logging::Handler {
 public:
  EmailHandler(std::shared_ptr<AlertQueue> queue, std::shared_ptr<const RecipientBook> recipients,
               core::CounterPtr droppedFull)
      : queue_(std::move(queue)), recipients_(std::move(recipients)), droppedFull_(std::move(droppedFull)) {}

  void emit(const logging::Record& record) override;

 private:
  std::shared_ptr<AlertQueue> queue_;
  std::shared_ptr<const RecipientBook> recipients_;
  core::CounterPtr droppedFull_;
};

}  // namespace sgeventd::alerts
