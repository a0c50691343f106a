#pragma once
// Identical records (same logger, level, message and recipients) within `window` become one mail: the
// first goes out at once; repeats are counted, and when the window closes with any, one mail says how
// many (with the last of them). A record that keeps repeating thus costs one mail per window.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.h"

namespace sgeventd::alerts {

struct Coalesced {
  Alert last;
  std::uint64_t repeats = 0;
  std::chrono::system_clock::time_point firstRepeat;
};

class Coalescer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit Coalescer(std::chrono::milliseconds window) : window_(window) {}

  // True: mail it now. False: a repeat, counted into the window's summary. Call due(now) first.
  bool admit(const Alert& alert, TimePoint now);
  // The summaries of windows that closed by `now` with repeats; a window without repeats just ends.
  std::vector<Coalesced> due(TimePoint now);
  // Every pending summary at once (the daemon is stopping).
  std::vector<Coalesced> flush();
  std::optional<TimePoint> nextDeadline() const;

 private:
  struct Window {
    TimePoint closes;
    std::optional<Coalesced> repeats;
  };
  static std::string keyOf(const Alert& alert);

  const std::chrono::milliseconds window_;
  std::map<std::string, Window> windows_;
};

}  // namespace sgeventd::alerts
