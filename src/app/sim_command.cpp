// `sgeventd sim`: runs the simulated ShotGrid site (src/sim/) until SIGINT or SIGTERM.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/cli.h"
#include "sim/activity.h"
#include "sim/server.h"
#include "sim/site.h"

namespace sgeventd::app {
namespace {

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 8020;
  std::optional<std::string> dataFile;
  std::vector<std::string> scripts;
  double activity = 0.0;
  std::uint64_t seed = 1;
  bool verbose = false;
  int gzipLevel = 1;
};

int runSim(const SimOptions& o) {
  // Block the stop signals before any thread starts, so every thread inherits the mask and sigwait() below
  // is the only place they are received.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  sim::SiteOptions options;
  options.dataFile = o.dataFile;
  options.seed = o.seed;
  for (const auto& text : o.scripts) {
    auto script = sim::parseScript(text);
    if (!script) {
      std::cerr << "sgeventd sim: " << script.error().message << "\n";
      return 2;
    }
    options.scripts.push_back(*script);
  }
  auto site = sim::Site::open(options);
  if (!site) {
    std::cerr << "sgeventd sim: " << site.error().message << "\n";
    return 1;
  }
  auto http = sim::serverOptions(o.host, o.port);
  http.gzipLevel = o.gzipLevel;
  sim::Server server(**site, http);
  if (o.verbose) {
    server.setRequestLog([](std::string_view line) { std::cerr << "DEBUG sim: " << line << "\n"; });
  }
  if (auto started = server.start(); !started) {
    std::cerr << "sgeventd sim: " << started.error().message << "\n";
    return 1;
  }
  std::unique_ptr<sim::ActivityGenerator> activity;
  if (o.activity > 0) {
    activity = std::make_unique<sim::ActivityGenerator>(**site, o.activity, o.seed);
    if (auto started = activity->start(); !started) {
      std::cerr << "sgeventd sim: " << started.error().message << "\n";
      return 1;
    }
  }
  std::printf("sgeventd sim listening on http://%s:%d\n", o.host.c_str(), server.port());
  for (const auto& script : (*site)->scripts()) {
    std::printf("script: %s key: %s\n", script.name.c_str(), script.key.c_str());
  }
  std::fflush(stdout);

  int received = 0;
  sigwait(&stopSignals, &received);
  if (activity) {
    activity->stop();
  }
  server.stop();
  return 0;
}

}  // namespace

void registerSimCommand(CLI::App& root, CommandLine& cl) {
  auto options = std::make_shared<SimOptions>();
  auto* cmd = root.add_subcommand("sim", "Run a simulated ShotGrid site (api3 JSON) for local testing");
  cmd->add_option("--host", options->host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "port to listen on; 0 picks a free one")->capture_default_str();
  cmd->add_option("--data", options->dataFile, "SQLite file that persists the site across restarts");
  cmd->add_option("--script", options->scripts, "api script NAME:KEY (repeatable); default sgeventd:sim-key");
  cmd->add_option("--activity", options->activity, "simulated artist activity, events per second");
  cmd->add_option("--seed", options->seed, "random seed for activity and fault probabilities");
  cmd->add_option("--gzip-level", options->gzipLevel,
                  "gzip level for clients that accept it (1 fastest, 9 smallest); 0 never compresses")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", options->verbose, "log every request (debug)");
  cmd->callback([options, &cl] { cl.action = [options] { return runSim(*options); }; });
}

}  // namespace sgeventd::app
