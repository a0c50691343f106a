#pragma once
// Test helpers: a settable clock, a temporary folder, the time zone, file reading.
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>
#include "../support/temp_dir.h"

#include "core/clock.h"

namespace sgeventd::logging::testing {

class FakeClock final : public core::Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point now) : now_(now) {}
  std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  std::chrono::steady_clock::time_point steadyNow() const override { return {}; }
  void set(std::chrono::system_clock::time_point now) {
    std::lock_guard lock(mutex_);
    now_ = now;
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point now_;
};

// Seconds since the epoch as a time point, with microseconds.
inline std::chrono::system_clock::time_point epoch(double seconds) {
  return std::chrono::system_clock::time_point(
      std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6 + (seconds >= 0 ? 0.5 : -0.5))));
}

// Sets TZ for the test and restores the previous value afterwards.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) {
      previous_ = old;
    }
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (previous_.empty()) {
      ::unsetenv("TZ");
    } else {
      ::setenv("TZ", previous_.c_str(), 1);
    }
    ::tzset();
  }

 private:
  std::string previous_;
};

using TempDir = ::sgeventd::testing::TempDir;

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    result.push_back(line);
  }
  return result;
}

}  // namespace sgeventd::logging::testing
