#pragma once
// The record layouts of the original daemon's handlers (Python logging).
#include <chrono>
#include <string>
#include <string_view>

#include "core/log.h"

namespace sgeventd::logging {

// Python's asctime in local time: "2026-11-22 05:29:45,483" (milliseconds truncated).
std::string asctime(std::chrono::system_clock::time_point t);

// "%(asctime)s - %(name)s - %(levelname)s - %(message)s\n", the files' layout.
std::string formatFileRecord(std::chrono::system_clock::time_point t, std::string_view logger,
                             core::LogLevel level, std::string_view message);

// "%(levelname)s:%(name)s:%(message)s\n", the foreground (stderr) layout.
std::string formatStreamRecord(std::string_view logger, core::LogLevel level, std::string_view message);

}  // namespace sgeventd::logging
