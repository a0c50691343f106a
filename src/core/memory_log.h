#pragma once
// In-memory loggers: what tests assert on, and a safe default before logging is configured.
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/log.h"

namespace sgeventd::core {

struct LogRecord {
  std::string logger;
  LogLevel level;
  std::string message;
};

class MemoryLogSink {
 public:
  void append(LogRecord record);
  std::vector<LogRecord> records() const;
  // Records whose message contains `needle` (any logger).
  std::vector<LogRecord> matching(const std::string& needle) const;
  std::size_t count(const std::string& needle) const { return matching(needle).size(); }

 private:
  mutable std::mutex mutex_;
  std::vector<LogRecord> records_;
};

class MemoryLogFactory final : public LogFactory {
 public:
  explicit MemoryLogFactory(LogLevel threshold = LogLevel::Debug) : threshold_(threshold) {}
  LoggerPtr get(const std::string& name) override;
  MemoryLogSink& sink() { return sink_; }

 private:
  LogLevel threshold_;
  MemoryLogSink sink_;
  std::mutex mutex_;
  std::unordered_map<std::string, LoggerPtr> loggers_;
};

}  // namespace sgeventd::core
