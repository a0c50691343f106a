#pragma once
// Types shared by the INI reader and the typed daemon config.
#include <map>
#include <string>
#include <string_view>

namespace sgeventd::config {

// "shotgunEventDaemon.conf:14: fetch_interval: \"abc\" is not a number"
struct ConfigError {
  std::string file;
  int line = 0;  // 0 when the error is not tied to a line (a missing key)
  std::string key;
  std::string message;
  std::string describe() const;
  bool operator==(const ConfigError&) const = default;
};

// `retry_on`: which failed attempts of a callback are retried (up to retry_attempts, with backoff) before
// the original's behaviour applies (skip the event with stopOnError = False, else deactivate the plugin).
enum class RetryOn {
  Transient,  // connection errors and timeouts, HTTP 429/5xx, a native plugin's RETRY, a crashed or
              // timed-out attempt: what may succeed when tried again
  Any,        // every failure, as sgeventd did before retry_on existed
  Never,      // none: the first failure gets the original's behaviour at once
};

// "transient", "any", "never": as written in the config file.
constexpr std::string_view retryOnName(RetryOn retryOn) {
  switch (retryOn) {
    case RetryOn::Transient:
      return "transient";
    case RetryOn::Any:
      return "any";
    case RetryOn::Never:
      return "never";
  }
  return "transient";
}

// Environment as name -> value (the process environment in production, a fixture in tests).
using Environment = std::map<std::string, std::string>;
Environment processEnvironment();

}  // namespace sgeventd::config
