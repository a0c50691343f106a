#pragma once
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace sgeventd::plugins::python::testing {

// Sets TZ for Python and the C++ side at once (both read the zone through localtime_r), and puts it back.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const std::string& zone) {
    if (const char* saved = std::getenv("TZ")) {
      saved_ = saved;
    }
    set(zone);
  }
  ~ScopedTimeZone() {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  void set(const std::string& zone) {
    setenv("TZ", zone.c_str(), 1);
    tzset();
  }

 private:
  std::optional<std::string> saved_;
};

}  // namespace sgeventd::plugins::python::testing
