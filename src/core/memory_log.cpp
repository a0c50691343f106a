#include "core/memory_log.h"

namespace sgeventd::core {
namespace {

class MemoryLogger final : public Logger {
 public:
  MemoryLogger(std::string name, LogLevel threshold, MemoryLogSink& sink)
      : name_(std::move(name)), threshold_(threshold), sink_(sink) {}
  const std::string& name() const override { return name_; }
  bool enabled(LogLevel level) const override { return level >= threshold_; }
  void log(LogLevel level, std::string_view message) override {
    if (enabled(level)) {
      sink_.append({name_, level, std::string(message)});
    }
  }

 private:
  std::string name_;
  LogLevel threshold_;
  MemoryLogSink& sink_;
};

}  // namespace

void MemoryLogSink::append(LogRecord record) {
  std::lock_guard lock(mutex_);
  records_.push_back(std::move(record));
}

std::vector<LogRecord> MemoryLogSink::records() const {
  std::lock_guard lock(mutex_);
  return records_;
}

std::vector<LogRecord> MemoryLogSink::matching(const std::string& needle) const {
  std::lock_guard lock(mutex_);
  std::vector<LogRecord> out;
  for (const auto& r : records_) {
    if (r.message.find(needle) != std::string::npos) {
      out.push_back(r);
    }
  }
  return out;
}

LoggerPtr MemoryLogFactory::get(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = loggers_[name];
  if (!slot) {
    slot = std::make_shared<MemoryLogger>(name, threshold_, sink_);
  }
  return slot;
}

}  // namespace sgeventd::core
