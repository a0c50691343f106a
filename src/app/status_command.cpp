// `sgeventd [-c CONF] status`: is a daemon running on this configuration? It is when a live sgeventd
// holds the lock of the config's state database (a daemon in the foreground, under systemd or in a
// container writes no pid file, but always holds that lock). Exit status as an init script's status
// action: 0 running, 3 not running, 1 when the config (or /proc/locks) cannot be read. The container's
// HEALTHCHECK.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "app/admin_commands.h"
#include "app/cli.h"
#include "app/daemon_control.h"
#include "app/load_config.h"
#include "broker/connection.h"
#include "broker/stream_report.h"
#include "store/daemon_lock.h"

namespace sgeventd::app {

namespace {

constexpr int kNotRunning = 3;  // LSB init script status code

int daemonStatus(const config::DaemonConfig& c);

// Broker mode: the stream and each plugin consumer, from the servers, so a worker's host shows it too.
void printBrokerReport(const config::DaemonConfig& c) {
  if (!c.broker.enabled()) {
    return;
  }
  auto options = broker::connectOptionsOf(c.broker);
  options.name = "sgeventd status";
  options.apiTimeout = std::chrono::milliseconds(3000);
  auto connection = broker::Connection::connect(options);
  if (!connection) {
    std::cout << "broker: cannot reach NATS: " << connection.error().message << "\n";
    return;
  }
  auto report = broker::streamReport(**connection, c.broker.stream);
  if (!report) {
    std::cout << "broker: " << report.error().message << "\n";
    return;
  }
  std::cout << broker::formatStreamReport(*report);
}

int runStatus(const config::DaemonConfig& c) {
  const int code = daemonStatus(c);
  printBrokerReport(c);
  return code;
}

int daemonStatus(const config::DaemonConfig& c) {
  auto holder = store::lockHolder(c.stateDatabase);
  if (!holder) {
    std::cout << fmt::format("cannot tell whether sgeventd is running: {}\n", holder.error().message);
    return 1;
  }
  if (!*holder) {
    std::cout << fmt::format("sgeventd is not running (no daemon holds {})\n", c.stateDatabase);
    return kNotRunning;
  }
  // In another pid namespace /proc/locks shows 0 or no entry; a holder we see must be alive.
  if (!isLiveSgeventd(**holder)) {
    std::cout << fmt::format("sgeventd is not running ({} is held by pid {}, which is not sgeventd)\n",
                             c.stateDatabase, **holder);
    return kNotRunning;
  }
  std::cout << fmt::format("sgeventd is running (pid {}, state database {})\n", **holder, c.stateDatabase);
  // With the admin API answering, each plugin's state too.
  if (auto online = onlineStatus(c)) {
    std::cout << *online;
  }
  return 0;
}

}  // namespace

void registerStatusCommand(CLI::App& root, CommandLine& cl) {
  root.add_subcommand("status",
                      "Tell whether a daemon runs on this config (exit 0), or not (exit 3); the health check")
      ->callback([&cl] {
        cl.action = [&cl] {
          auto c = loadConfigForCommand(cl);
          return c ? runStatus(*c) : 1;
        };
      });
}

}  // namespace sgeventd::app
