#include "logging/node_logger.h"

namespace sgeventd::logging {

int NodeLogger::effectiveLevel() const {
  for (const NodeLogger* logger = this; logger != nullptr; logger = logger->parent_.get()) {
    const int level = logger->level_.load(std::memory_order_relaxed);
    if (level != kNotSet) {
      return level;
    }
  }
  return kNotSet;
}

void NodeLogger::logAt(core::LogLevel level, std::string_view message, const core::SourceLocation& where) {
  if (!enabled(level)) {
    return;
  }
  const Record record{clock_->now(), name_, level, message, where};
  for (const NodeLogger* logger = this; logger != nullptr; logger = logger->parent_.get()) {
    for (const auto& handler : logger->handlers_) {
      handler->emit(record);
    }
  }
}

}  // namespace sgeventd::logging
