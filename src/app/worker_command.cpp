// `sgeventd -c CONF worker`, in one of two modes:
// - `--channel-fd N`: a worker process the daemon starts (posix_spawn) for plugins configured with
//   isolation = process, talking to it on the inherited socket (docs/worker-protocol.md); not for people;
// - `--broker [URL]`: the config's plugins as JetStream durable pull consumers (docs/scaling-out.md),
//   run by hand or under systemd on any host that reaches the NATS cluster.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "app/broker_worker_command.h"
#include "app/cli.h"
#include "app/load_config.h"
#include "app/plugin_loaders.h"
#include "plugins/python/python_loader.h"
#include "worker/forwarding_log.h"
#include "worker/worker_server.h"

namespace sgeventd::app {
namespace {

struct WorkerArgs {
  int channelFd = -1;
  std::optional<std::string> broker;  // --broker given; its value ("" without one) overrides [broker] url
  std::string label;
  std::optional<std::int64_t> memoryLimit;
};

int runChannelWorker(const WorkerArgs& args, const CommandLine& cl) {
  if (args.memoryLimit) {
    // Before anything is loaded, so a plugin's allocation beyond it fails in the plugin (MemoryError,
    // std::bad_alloc) or ends this worker, never the daemon.
    const rlimit limit{static_cast<rlim_t>(*args.memoryLimit), static_cast<rlim_t>(*args.memoryLimit)};
    if (::setrlimit(RLIMIT_AS, &limit) != 0) {
      std::perror("sgeventd worker: setrlimit(RLIMIT_AS)");
      return 2;
    }
  }
  auto config = loadConfigForCommand(cl);
  if (!config) {
    return 2;
  }
  int code = 0;
  {
    worker::FrameWriter writer(args.channelFd);
    auto logs =
        std::make_shared<worker::ForwardingLogFactory>(writer, static_cast<core::LogLevel>(config->logLevel));
    auto log = logs->get("engine");
    core::Shutdown shutdown;
    auto loaders = makePluginLoaders(
        *config, logs, log, shutdown,
        [logs](const std::string& name, core::LogLevel level) { logs->setLevel(name, level); });
    if (!loaders.pythonError.empty()) {
      log->error("Python plugins cannot run in the worker process of " + args.label + ": " +
                 loaders.pythonError);
    }
    worker::WorkerServer server(args.channelFd, writer, std::move(loaders.loaders), loaders.host);
    code = server.run();
  }
  // Every plugin and loader is gone with the server: the interpreter can go too.
  if (plugins::python::pythonRunning()) {
    plugins::python::finalizePython();
  }
  return code;
}

int runWorker(const WorkerArgs& args, const CommandLine& cl) {
  if ((args.channelFd >= 0) == args.broker.has_value()) {
    std::cerr << "sgeventd worker: give exactly one of --broker [URL] (a JetStream plugin worker) and "
                 "--channel-fd N (a daemon's isolation = process worker)\n";
    return 2;
  }
  if (!args.broker) {
    return runChannelWorker(args, cl);
  }
  auto config = loadConfigForCommand(cl);
  return config ? runBrokerWorker(*config, args.broker) : 2;
}

}  // namespace

void registerWorkerCommand(CLI::App& root, CommandLine& cl) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* worker = root.add_subcommand(
      "worker",
      "Run the config's plugins as JetStream consumers (--broker [URL]), or for a daemon on an inherited "
      "socket (--channel-fd, started by the daemon for isolation = process)");
  worker->group("");  // absent from the top-level --help: `sgeventd worker --help` documents it
  worker->footer(
      "With --broker, each plugin is a durable pull consumer sgeventd-<plugin> on [broker] stream; run "
      "several workers on one config for hot standby. SIGTERM or SIGINT: the callbacks in flight finish "
      "and are acknowledged, then it exits 0. See docs/scaling-out.md.");
  worker
      ->add_option("--broker", args->broker,
                   "run as a JetStream plugin worker; URL (nats://host:4222, comma-separated for a "
                   "cluster) replaces [broker] url")
      ->expected(0, 1);
  worker->add_option("--channel-fd", args->channelFd, "the socket to the daemon (isolation = process)");
  worker->add_option("--label", args->label, "which plugin or worker group this is, for log lines");
  worker->add_option("--memory-limit", args->memoryLimit, "address space limit in bytes (RLIMIT_AS)");
  worker->callback([args, &cl] { cl.action = [args, &cl] { return runWorker(*args, cl); }; });
}

}  // namespace sgeventd::app
