#pragma once
// The production LogFactory: the original daemon's loggers and handlers (spec §5.1).
//
//   root             level WARNING; logMode 0: the main log file; foreground: stderr
//   engine           configured level; logMode != 0: the main log file; propagates to root
//   plugin.<name>    configured level (the plugin may change it); logMode 1: <logPath>/plugin.<name>;
//                    propagates to root
//   plugin.<n>.<cb>  no level of its own, no handler; propagates to plugin.<n>
//   (engine and every plugin.<name> also get `alerts`, the e-mail handler, when there is one)
//   timing           configured level; timing on: <main log>.timing; propagates to root
//   anything else    no level, no handler; propagates to its nearest dotted ancestor (or root)
//
// As in Python, a record passes the level of the logger it was logged on and then goes to every handler
// up the propagation chain, whatever those loggers' levels. Loggers live as long as the factory and are
// handed out again on the next get(), so a level a plugin set survives its reload.
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/expected.h"
#include "core/log.h"
#include "logging/handler.h"

namespace sgeventd::logging {

struct LogSettings {
  int logMode = 1;
  std::optional<std::filesystem::path> logPath;
  std::string logFile = "shotgunEventDaemon";
  core::LogLevel level = core::LogLevel::Info;
  bool timingLog = false;
  bool midnightRotation = true;  // false (`log_rotation: off`): files are never renamed; see reopenFiles()
  bool foreground = false;
  // false (the demo): timing lines go to the timing file only, not up to root's console and main log.
  bool timingToRoot = true;
  core::ClockPtr clock;  // system clock when null
  int foregroundFd = 2;  // where foreground records go (tests pass a pipe or file)
  // Attached to engine and to every plugin.<name>, as the original's SMTP handler; it picks its levels.
  HandlerPtr alerts;
};

class NodeLogger;

class FileLogFactory final : public core::LogFactory {
 public:
  // Creates logPath when missing; fails when it is a file or the main log cannot be opened.
  static Expected<std::shared_ptr<FileLogFactory>> create(LogSettings settings);
  ~FileLogFactory() override;

  core::LoggerPtr get(const std::string& name) override;
  // Sets a logger's own level (creating the logger when needed); children without one follow it.
  void setLevel(const std::string& name, core::LogLevel level);
  // Closes every log file and opens its path again (SIGUSR1, after logrotate renamed the files).
  // Returns the files that could not be reopened, with the reason; their next record tries again.
  std::vector<std::string> reopenFiles();

  const std::filesystem::path& mainLogPath() const { return mainLogPath_; }
  std::filesystem::path pluginLogPath(const std::string& plugin) const;
  std::filesystem::path timingLogPath() const { return mainLogPath_.string() + ".timing"; }

 private:
  explicit FileLogFactory(LogSettings settings);
  Expected<void> configure();
  std::shared_ptr<NodeLogger> getLocked(const std::string& name);
  std::shared_ptr<NodeLogger> makePluginLogger(const std::string& name, const std::string& plugin);
  std::shared_ptr<NodeLogger> nearestAncestor(const std::string& name) const;
  Expected<HandlerPtr> fileHandler(const std::filesystem::path& path);

  LogSettings settings_;
  std::filesystem::path logFolder_;
  std::filesystem::path mainLogPath_;
  HandlerPtr mainFile_;
  std::mutex mutex_;
  std::shared_ptr<NodeLogger> root_;
  std::map<std::string, std::shared_ptr<NodeLogger>> loggers_;
  std::vector<std::weak_ptr<MidnightRotatingFile>> files_;  // every file opened, for reopenFiles()
};

}  // namespace sgeventd::logging
