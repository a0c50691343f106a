// `sgeventd -c CONF worker --channel-fd N`: a worker process. The daemon starts it (posix_spawn) for
// plugins configured with isolation = process and talks to it on the inherited socket
// (docs/worker-protocol.md). Not meant to be run by hand.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

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
  std::string label;
  std::optional<std::int64_t> memoryLimit;
};

int runWorker(const WorkerArgs& args, const CommandLine& cl) {
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

}  // namespace

void registerWorkerCommand(CLI::App& root, CommandLine& cl) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* worker = root.add_subcommand(
      "worker",
      "Run plugins for a daemon on an inherited socket (started by the daemon for isolation = process)");
  worker->group("");  // not for people: absent from --help
  worker->add_option("--channel-fd", args->channelFd, "the socket to the daemon")->required();
  worker->add_option("--label", args->label, "which plugin or worker group this is, for log lines");
  worker->add_option("--memory-limit", args->memoryLimit, "address space limit in bytes (RLIMIT_AS)");
  worker->callback([args, &cl] { cl.action = [args, &cl] { return runWorker(*args, cl); }; });
}

}  // namespace sgeventd::app
