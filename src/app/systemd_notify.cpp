#include "app/systemd_notify.h"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdlib>

#include "engine/engine.h"

namespace sgeventd::app {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  active_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (when present) names this process.
  if (active_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(usec);
  }
}

void SystemdNotifier::send(const std::string& message) {
  if (active_) {
    // Keep the environment: this process notifies again later. Failures are not actionable here.
    (void)sd_notify(0, message.c_str());
  }
}

void SystemdNotifier::ready(std::string_view status) {
  if (!active_) {
    return;
  }
  send("READY=1");
  this->status(status);
}

void SystemdNotifier::reloading() { send("RELOADING=1\nSTATUS=Reloading every plugin"); }

void SystemdNotifier::stopping() {
  if (!active_) {
    return;
  }
  lastStatus_ = "Stopping: letting each plugin finish its current event";
  send("STOPPING=1\nSTATUS=" + lastStatus_);
}

void SystemdNotifier::status(std::string_view text) {
  if (!active_) {
    return;
  }
  // One line: a newline would start another assignment of the protocol.
  std::string line(text.substr(0, 300));
  std::replace(line.begin(), line.end(), '\n', ' ');
  if (line == lastStatus_) {
    return;
  }
  lastStatus_ = std::move(line);
  send("STATUS=" + lastStatus_);
}

void SystemdNotifier::watchdog() {
  if (!watchdog_) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (lastPing_ != std::chrono::steady_clock::time_point{} && now - lastPing_ < *watchdog_ / 2) {
    return;
  }
  lastPing_ = now;
  send("WATCHDOG=1");
}

std::string serviceStatusLine(const engine::EngineStatus& status) {
  const auto head = status.fetcher.head;
  std::size_t inactive = 0;
  std::int64_t lag = 0;
  std::string slowest;
  for (const auto& member : status.plugins) {
    if (!member.active) {
      ++inactive;
      continue;
    }
    const auto behind = std::max<std::int64_t>(0, head - member.cursor);
    if (behind > lag) {
      lag = behind;
      slowest = member.id.name;
    }
  }
  std::string line =
      fmt::format("head {}; {} plugin{}", head, status.plugins.size(), status.plugins.size() == 1 ? "" : "s");
  if (inactive > 0) {
    line += fmt::format(" ({} inactive)", inactive);
  }
  line += fmt::format(", lag {}", lag);
  if (!slowest.empty()) {
    line += fmt::format(" ({})", slowest);
  }
  if (status.fetcher.consecutiveFailures > 0) {
    line += fmt::format("; site: {} failed request{} ({})", status.fetcher.consecutiveFailures,
                        status.fetcher.consecutiveFailures == 1 ? "" : "s", status.fetcher.lastError);
  }
  return line;
}

}  // namespace sgeventd::app
