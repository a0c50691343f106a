#include "alerts/coalescer.h"

namespace sgeventd::alerts {

std::string Coalescer::keyOf(const Alert& alert) {
  // NUL cannot appear in a logger name or level, so fields cannot run into each other.
  std::string key = alert.logger;
  key.push_back('\0');
  key += std::to_string(static_cast<int>(alert.level));
  key.push_back('\0');
  for (const auto& to : alert.to) {
    key.append(to).push_back(',');
  }
  key.push_back('\0');
  key += alert.message;
  return key;
}

bool Coalescer::admit(const Alert& alert, TimePoint now) {
  if (window_.count() <= 0) {
    return true;
  }
  auto key = keyOf(alert);
  auto it = windows_.find(key);
  if (it == windows_.end() || it->second.closes <= now) {
    // Called after due(now), so a window found closed here had no repeats: this one is new again.
    windows_[std::move(key)] = Window{now + window_, std::nullopt};
    return true;
  }
  auto& repeats = it->second.repeats;
  if (!repeats) {
    repeats = Coalesced{alert, 0, alert.time};
  }
  repeats->last = alert;
  ++repeats->repeats;
  return false;
}

std::vector<Coalesced> Coalescer::due(TimePoint now) {
  std::vector<Coalesced> out;
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (it->second.closes > now) {
      ++it;
      continue;
    }
    if (it->second.repeats) {
      // The record keeps coming: the summary goes out and a new window starts, so the next repeat is
      // counted again instead of mailed at once.
      out.push_back(std::move(*it->second.repeats));
      it->second = Window{now + window_, std::nullopt};
      ++it;
    } else {
      it = windows_.erase(it);
    }
  }
  return out;
}

std::vector<Coalesced> Coalescer::flush() {
  std::vector<Coalesced> out;
  for (auto& [key, window] : windows_) {
    if (window.repeats) {
      out.push_back(std::move(*window.repeats));
    }
  }
  windows_.clear();
  return out;
}

std::optional<Coalescer::TimePoint> Coalescer::nextDeadline() const {
  std::optional<TimePoint> next;
  for (const auto& [key, window] : windows_) {
    if (!next || window.closes < *next) {
      next = window.closes;
    }
  }
  return next;
}

}  // namespace sgeventd::alerts
