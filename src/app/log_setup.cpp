#include "app/log_setup.h"

#include <filesystem>

namespace sgeventd::app {

logging::LogSettings logSettingsOf(const config::DaemonConfig& c, bool foreground) {
  logging::LogSettings s;
  s.logMode = c.logMode;
  // The config resolved the main log against its own folder; plugin logs go beside it.
  s.logPath = std::filesystem::path(c.logFilePath).parent_path();
  s.logFile = std::filesystem::path(c.logFilePath).filename().string();
  s.level = static_cast<core::LogLevel>(c.logLevel);
  s.timingLog = c.timingLog;
  s.midnightRotation = c.midnightRotation;
  s.foreground = foreground;
  return s;
}

}  // namespace sgeventd::app
