// foreground | start | stop | restart | plugins | demo
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "app/cli.h"
#include "app/daemon_control.h"
#include "app/daemon_runtime.h"
#include "app/embedded_sim.h"
#include "app/load_config.h"
#include "app/plugin_listing.h"
#include "app/signal_thread.h"

namespace sgeventd::app {
namespace {

struct SimFlags {
  bool withSim = false;
  double activity = 2.0;
  int seconds = 0;              // 0: until stopped
  bool timingOnConsole = true;  // the demo keeps timing lines in the timing file
};

void addSimFlags(CLI::App* cmd, SimFlags& flags) {
  cmd->add_flag("--with-sim", flags.withSim,
                "Run against a simulated site started in this process (overrides [shotgun] server)");
  cmd->add_option("--activity", flags.activity, "Simulated events per second with --with-sim")
      ->capture_default_str();
  cmd->add_option("--seconds", flags.seconds,
                  "Stop by itself after this many seconds (0: run until stopped)");
}

// --fresh-start is the operator's word that a lost state may start afresh (the store refuses otherwise).
void addFreshStartFlag(CLI::App* cmd, bool& freshStart) {
  cmd->add_flag("--fresh-start", freshStart,
                "If the state database was lost (missing where sgeventd ran before, empty, or without its "
                "schema), start afresh: every plugin begins after the newest event. Ignored when the "
                "database holds state");
}

int runForeground(config::DaemonConfig c, const SimFlags& flags, bool freshStart) {
  blockDaemonSignals();  // before the sim's and the timer's threads exist
  std::unique_ptr<EmbeddedSim> sim;
  if (flags.withSim) {
    auto started = EmbeddedSim::start(c, flags.activity);
    if (!started) {
      std::cerr << "sgeventd: cannot start the simulated site: " << started.error().message << "\n";
      return 1;
    }
    sim = std::move(*started);
    c.server = sim->url();
    std::cerr << "sgeventd: simulated site at " << sim->url() << " (" << flags.activity << " events/s)\n";
  }
  std::thread timer;
  std::atomic<bool> finished{false};
  if (flags.seconds > 0) {
    // A bounded run (demos, tests): the same SIGTERM an operator would send.
    timer = std::thread([&finished, seconds = flags.seconds] {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
      while (!finished && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!finished) {
        kill(getpid(), SIGTERM);
      }
    });
  }
  RunOptions options;
  options.foreground = true;
  options.timingOnConsole = flags.timingOnConsole;
  options.freshStart = freshStart;
  const int code = runDaemon(c, options);
  finished = true;
  if (timer.joinable()) {
    timer.join();
  }
  return code;
}

int runStart(const config::DaemonConfig& c, bool freshStart) {
  if (auto pid = readPid(c.pidFile); pid && isLiveSgeventd(*pid)) {
    std::cerr << fmt::format("sgeventd is already running (pid {}, pid file {})\n", *pid, c.pidFile);
    return 1;
  } else if (pid) {
    std::cerr << fmt::format("sgeventd: replacing stale pid file {} (pid {} is not a running sgeventd)\n",
                             c.pidFile, *pid);
  }
  auto reporter = daemonize();
  if (!reporter) {
    std::cerr << "sgeventd: cannot go to the background: " << reporter.error().message << "\n";
    return 1;
  }
  // The log files open only inside runDaemon: what acquire() says about a stale file waits for them.
  std::vector<std::string> early;
  auto pidFile = PidFile::acquire(c.pidFile, [&early](std::string_view line) { early.emplace_back(line); });
  if (!pidFile) {
    reporter->failed(pidFile.error().message);
    return 1;
  }
  RunOptions options;
  options.earlyWarnings = std::move(early);
  options.foreground = false;
  options.freshStart = freshStart;
  options.onStarted = [&reporter](bool ok, const std::string& message) {
    if (reporter->reported()) {
      return;
    }
    ok ? reporter->ready() : reporter->failed(message);
  };
  return runDaemon(c, options);
}

int runStop(const config::DaemonConfig& c) {
  auto result = stopDaemon(c.pidFile, c.stateDatabase, c.shutdownTimeout + std::chrono::seconds(10));
  if (!result) {
    std::cerr << "sgeventd: " << result.error().message << "\n";
    return 1;
  }
  std::cerr << result->message << "\n";
  return 0;
}

}  // namespace

void registerDaemonCommands(CLI::App& root, CommandLine& cl) {
  auto foregroundFlags = std::make_shared<SimFlags>();
  auto* foreground = root.add_subcommand("foreground", "Run in the foreground, logging to stderr too");
  addSimFlags(foreground, *foregroundFlags);
  auto freshStart = std::make_shared<bool>(false);
  addFreshStartFlag(foreground, *freshStart);
  foreground->callback([&cl, foregroundFlags, freshStart] {
    cl.action = [&cl, foregroundFlags, freshStart] {
      auto c = loadConfigForCommand(cl);
      return c ? runForeground(std::move(*c), *foregroundFlags, *freshStart) : 1;
    };
  });

  auto* start = root.add_subcommand("start", "Start as a background daemon (pid file, double fork)");
  addFreshStartFlag(start, *freshStart);
  start->callback([&cl, freshStart] {
    cl.action = [&cl, freshStart] {
      auto c = loadConfigForCommand(cl);
      return c ? runStart(*c, *freshStart) : 1;
    };
  });
  root.add_subcommand("stop", "Stop the background daemon and wait until it has exited")->callback([&cl] {
    cl.action = [&cl] {
      auto c = loadConfigForCommand(cl);
      return c ? runStop(*c) : 1;
    };
  });
  auto* restart = root.add_subcommand("restart", "stop, then start");
  addFreshStartFlag(restart, *freshStart);
  restart->callback([&cl, freshStart] {
    cl.action = [&cl, freshStart] {
      auto c = loadConfigForCommand(cl);
      if (!c) {
        return 1;
      }
      const int stopped = runStop(*c);
      return stopped != 0 ? stopped : runStart(*c, *freshStart);
    };
  });
  root.add_subcommand("plugins", "List the plugins the config points at, with their status")->callback([&cl] {
    if (cl.action) {
      return;  // `plugins enable|disable|reload NAME` (admin_commands.cpp) chose its action first
    }
    cl.action = [&cl] {
      auto c = loadConfigForCommand(cl);
      return c ? listPlugins(*c, std::cout) : 1;
    };
  });

  auto demoFlags = std::make_shared<SimFlags>();
  demoFlags->withSim = true;
  demoFlags->timingOnConsole = false;
  auto* demo = root.add_subcommand(
      "demo", "Run the daemon on the example config against a simulated site with simulated artists");
  demo->add_option("--activity", demoFlags->activity, "Simulated events per second")->capture_default_str();
  demo->add_option("--seconds", demoFlags->seconds,
                   "Stop by itself after this many seconds (0: until Ctrl-C)");
  demo->callback([&cl, demoFlags] {
    cl.action = [&cl, demoFlags] {
      CommandLine demoCl = cl;
      if (!demoCl.configPath) {
        demoCl.configPath = demoConfigPath(cl.argv0);
      }
      auto c = loadConfigForCommand(demoCl);
      if (c && !c->admin.listen.empty()) {
        // The first thing a newcomer sees: where to watch it (the daemon logs the address it bound too).
        std::cerr << fmt::format("\n  sgeventd demo: status page at http://{}:{}/\n\n", c->admin.host,
                                 c->admin.port);
      }
      return c ? runForeground(std::move(*c), *demoFlags, false) : 1;
    };
  });
}

}  // namespace sgeventd::app
