#include "alerts/email_handler.h"

namespace sgeventd::alerts {
namespace {

thread_local bool onSenderThread = false;

}  // namespace

SenderThreadScope::SenderThreadScope() { onSenderThread = true; }
SenderThreadScope::~SenderThreadScope() { onSenderThread = false; }
bool SenderThreadScope::active() { return onSenderThread; }

void EmailHandler::emit(const logging::Record& record) {
  if (record.level < core::LogLevel::Error || SenderThreadScope::active()) {
    return;
  }
  auto to = recipients_->resolve(record.logger);
  if (to.empty()) {
    return;  // the plugin turned its mails off (setEmails(False))
  }
  Alert alert{record.time,
              std::string(record.logger),
              record.level,
              std::string(record.message),
              std::string(record.where.path),
              std::string(record.where.function),
              record.where.line,
              std::move(to)};
  if (!queue_->push(std::move(alert))) {
    droppedFull_->inc();
  }
}

}  // namespace sgeventd::alerts
