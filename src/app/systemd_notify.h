#pragma once
// The daemon's side of systemd's Type=notify protocol (sd_notify(3), libsystemd): READY=1 once the engine
// runs, STATUS= with the head and the lag, RELOADING=1 around a SIGHUP reload, STOPPING=1, and WATCHDOG=1
// from the main loop. Outside systemd (no NOTIFY_SOCKET) every call does nothing and costs nothing.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sgeventd::engine {
struct EngineStatus;
}

namespace sgeventd::app {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET and the watchdog settings (WATCHDOG_USEC for this pid) once.
  SystemdNotifier();

  // True when systemd listens: the other calls send something only then.
  bool active() const { return active_; }
  // The watchdog interval systemd expects pings within (WatchdogSec=), when it set one for this process.
  std::optional<std::chrono::microseconds> watchdogInterval() const { return watchdog_; }

  void ready(std::string_view status);
  void reloading();
  void stopping();
  // STATUS=<text>, sent only when the text differs from the last one sent.
  void status(std::string_view text);
  // WATCHDOG=1, at most once per half-interval (systemd's recommendation), when a watchdog is set.
  void watchdog();

 private:
  void send(const std::string& message);

  bool active_ = false;
  std::optional<std::chrono::microseconds> watchdog_;
  std::chrono::steady_clock::time_point lastPing_{};
  std::string lastStatus_;
};

// The service status line, e.g. "head 1234; 3 plugins, lag 0" or
// "head 1234; 3 plugins (1 inactive), lag 52 (slow_plugin); site: 2 failed requests (timeout)".
std::string serviceStatusLine(const engine::EngineStatus& status);

}  // namespace sgeventd::app
