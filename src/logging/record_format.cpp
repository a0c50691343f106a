#include "logging/record_format.h"

#include <cstdio>
#include <ctime>

namespace sgeventd::logging {

std::string asctime(std::chrono::system_clock::time_point t) {
  const auto millis = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
  const int fraction = static_cast<int>(millis - static_cast<long long>(seconds) * 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[48];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  std::snprintf(text + length, sizeof text - length, ",%03d", fraction);
  return text;
}

std::string formatFileRecord(std::chrono::system_clock::time_point t, std::string_view logger,
                             core::LogLevel level, std::string_view message) {
  std::string line = asctime(t);
  line.append(" - ")
      .append(logger)
      .append(" - ")
      .append(core::levelName(level))
      .append(" - ")
      .append(message);
  line.push_back('\n');
  return line;
}

std::string formatStreamRecord(std::string_view logger, core::LogLevel level, std::string_view message) {
  std::string line(core::levelName(level));
  line.append(":").append(logger).append(":").append(message);
  line.push_back('\n');
  return line;
}

}  // namespace sgeventd::logging
