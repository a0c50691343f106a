#pragma once
// Types shared by the INI reader and the typed daemon config.
#include <map>
#include <string>

namespace sgeventd::config {

// "shotgunEventDaemon.conf:14: fetch_interval: \"abc\" is not a number"
struct ConfigError {
  std::string file;
  int line = 0;  // 0 when the error is not tied to a line (a missing key)
  std::string key;
  std::string message;
  std::string describe() const;
};

// Environment as name -> value (the process environment in production, a fixture in tests).
using Environment = std::map<std::string, std::string>;
Environment processEnvironment();

}  // namespace sgeventd::config
