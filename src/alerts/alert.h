#pragma once
// One record to be mailed, owned (the logging::Record it came from only lives for the log call).
#include <chrono>
#include <string>
#include <vector>

#include "core/log.h"

namespace sgeventd::alerts {

struct Alert {
  std::chrono::system_clock::time_point time;
  std::string logger;
  core::LogLevel level = core::LogLevel::Error;
  std::string message;
  std::string path;
  std::string function;
  int line = 0;
  std::vector<std::string> to;  // resolved when it was logged: the plugin's setEmails of that moment
};

}  // namespace sgeventd::alerts
