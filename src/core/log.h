#pragma once
// The logging interface every room writes through; src/logging/ provides the sinks.
#include <memory>
#include <string>
#include <string_view>

namespace sgeventd::core {

// Python's logging levels, so `logging: 20` in a config means the same thing here.
enum class LogLevel : int { Debug = 10, Info = 20, Warning = 30, Error = 40, Critical = 50 };

std::string_view levelName(LogLevel level);  // "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"

class Logger {
 public:
  virtual ~Logger() = default;
  virtual const std::string& name() const = 0;
  virtual bool enabled(LogLevel level) const = 0;
  // Writes one record; implementations flush line by line so a kill -9 loses no finished line.
  virtual void log(LogLevel level, std::string_view message) = 0;

  void debug(std::string_view m) { log(LogLevel::Debug, m); }
  void info(std::string_view m) { log(LogLevel::Info, m); }
  void warning(std::string_view m) { log(LogLevel::Warning, m); }
  void error(std::string_view m) { log(LogLevel::Error, m); }
  void critical(std::string_view m) { log(LogLevel::Critical, m); }
};
using LoggerPtr = std::shared_ptr<Logger>;

// Hands out loggers by dotted name: "engine", "timing", "plugin.<name>", "plugin.<name>.<cb>".
// A child ("plugin.a.cb") writes where its parent ("plugin.a") writes, as Python's propagation does.
class LogFactory {
 public:
  virtual ~LogFactory() = default;
  virtual LoggerPtr get(const std::string& name) = 0;
};
using LogFactoryPtr = std::shared_ptr<LogFactory>;

}  // namespace sgeventd::core
