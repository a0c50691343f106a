#pragma once
// The logging interface every room writes through; src/logging/ provides the sinks.
#include <memory>
#include <source_location>
#include <string>
#include <string_view>

namespace sgeventd::core {

// Python's logging levels, so `logging: 20` in a config means the same thing here.
enum class LogLevel : int { Debug = 10, Info = 20, Warning = 30, Error = 40, Critical = 50 };

std::string_view levelName(LogLevel level);  // "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"

#if defined(__cpp_lib_source_location)
using CallerPlace = std::source_location;
#else
// A compiler without std::source_location (clang 14, which builds the fuzz targets) logs no place.
struct CallerPlace {
  static constexpr CallerPlace current() noexcept { return {}; }
  constexpr const char* file_name() const noexcept { return "(unknown file)"; }
  constexpr const char* function_name() const noexcept { return "(unknown function)"; }
  constexpr unsigned line() const noexcept { return 0; }
};
#endif

// Where a record was logged from, as Python's pathname, funcName and lineno: the e-mail alerts say it.
// Views: valid for the duration of the log call only.
struct SourceLocation {
  std::string_view path = "(unknown file)";  // Python's values when it cannot tell
  std::string_view function = "(unknown function)";
  int line = 0;

  static SourceLocation of(const CallerPlace& where) {
    return {where.file_name(), where.function_name(), static_cast<int>(where.line())};
  }
};

class Logger {
 public:
  virtual ~Logger() = default;
  virtual const std::string& name() const = 0;
  virtual bool enabled(LogLevel level) const = 0;
  // Writes one record; implementations flush line by line so a kill -9 loses no finished line.
  virtual void log(LogLevel level, std::string_view message) = 0;
  // The same with where it was logged from; loggers that keep no location ignore it.
  virtual void logAt(LogLevel level, std::string_view message, const SourceLocation& where) {
    (void)where;
    log(level, message);
  }

  // The helpers record their caller's place in the daemon's source, for the e-mail alerts.
  using Here = CallerPlace;
  void debug(std::string_view m, const Here& h = Here::current()) {
    logAt(LogLevel::Debug, m, SourceLocation::of(h));
  }
  void info(std::string_view m, const Here& h = Here::current()) {
    logAt(LogLevel::Info, m, SourceLocation::of(h));
  }
  void warning(std::string_view m, const Here& h = Here::current()) {
    logAt(LogLevel::Warning, m, SourceLocation::of(h));
  }
  void error(std::string_view m, const Here& h = Here::current()) {
    logAt(LogLevel::Error, m, SourceLocation::of(h));
  }
  void critical(std::string_view m, const Here& h = Here::current()) {
    logAt(LogLevel::Critical, m, SourceLocation::of(h));
  }
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
