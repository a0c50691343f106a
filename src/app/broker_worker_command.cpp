#include "app/broker_worker_command.h"

#include <fmt/format.h>

#include <iostream>

#include "app/log_setup.h"
#include "app/plugin_loaders.h"
#include "app/plugin_policy.h"
#include "app/signal_thread.h"
#include "broker/broker_worker.h"
#include "config/key_table.h"
#include "config/sections.h"
#include "core/shutdown.h"
#include "plugins/catalog.h"
#include "plugins/python/python_loader.h"

namespace sgeventd::app {

namespace {

// Plugin files are looked at this often: a changed file is reloaded, a fixed one reactivates its plugin.
constexpr std::chrono::seconds kRescanInterval{2};

// Until a server answers or a stop is asked: a worker started before its cluster waits for it.
broker::ConnectionPtr connectPatiently(const broker::ConnectOptions& options, core::Shutdown& shutdown,
                                       core::Logger& log) {
  bool warned = false;
  while (!shutdown.requested()) {
    auto connection = broker::Connection::connect(options);
    if (connection) {
      if (warned) {
        log.info("Connected to the NATS server");
      }
      return broker::ConnectionPtr(std::move(*connection));
    }
    if (!warned) {
      log.warning(connection.error().message + "; retrying every second");
      warned = true;
    }
    shutdown.waitFor(std::chrono::seconds(1));
  }
  return nullptr;
}

int runWorker(const config::DaemonConfig& c, const std::vector<std::string>& urls, core::Shutdown& shutdown,
              SignalThread& signals) {
  auto logs = logging::FileLogFactory::create(logSettingsOf(c, true));
  if (!logs) {
    std::cerr << "sgeventd worker: cannot open the log files: " << logs.error().message << "\n";
    return 1;
  }
  auto log = (*logs)->get("engine");
  broker::BrokerWorkerOptions options;
  options.consumer.stream = c.broker.stream;
  options.consumer.site = c.broker.site.empty() ? config::siteTokenOf(c.server) : c.broker.site;
  options.consumer.ackWait = c.broker.ackWait;
  options.consumer.startAtFirst = c.broker.newConsumerStartAll;
  options.replicas = c.broker.replicas;
  log->info(fmt::format("sgeventd {} worker starting with {}: stream {}, site {}", SGEVENTD_VERSION,
                        c.sourceFile, options.consumer.stream, options.consumer.site));
  for (const auto& finding : c.warnings) {
    log->warning(finding.describe());
  }
  auto connectOptions = broker::connectOptionsOf(c.broker);
  connectOptions.urls = urls;
  connectOptions.name = "sgeventd worker";
  connectOptions.sendAsap = true;
  auto connection = connectPatiently(connectOptions, shutdown, *log);
  if (!connection) {
    return 0;  // stopped before a server answered
  }
  auto loaders = makePluginLoaders(
      c, *logs, log, shutdown,
      [factory = *logs](const std::string& name, core::LogLevel level) { factory->setLevel(name, level); });
  if (!loaders.pythonError.empty()) {
    log->error("Python plugins cannot run in this worker: " + loaders.pythonError);
  }
  {
    plugins::PluginCatalog catalog(pluginPaths(c), std::move(loaders.loaders), loaders.host);
    broker::BrokerWorker worker(
        connection, options, [&c](const std::string& name) { return failurePolicyFor(c, name); }, *logs);
    // The catalog is refreshed on this, the main thread, as in the daemon: Python's first load runs here.
    worker.apply(catalog.refresh());
    log->info(fmt::format("Worker running {} plugin(s)", worker.consumers()));
    while (!shutdown.waitFor(kRescanInterval)) {
      worker.apply(signals.takeReloadRequest() ? catalog.forceReload() : catalog.refresh());
    }
    log->info("Stopping: the callbacks in flight finish and are acknowledged");
    worker.stop();
  }
  log->info("Worker stopped");
  return 0;
}

}  // namespace

int runBrokerWorker(const config::DaemonConfig& c, const std::optional<std::string>& url) {
  const std::vector<std::string> urls = url && !url->empty() ? config::splitList(*url) : c.broker.urls;
  if (urls.empty()) {
    std::cerr << "sgeventd worker --broker: no NATS server: give its URL (--broker nats://host:4222) or set "
                 "[broker] url in "
              << c.sourceFile << "\n";
    return 1;
  }
  for (const auto& each : urls) {
    if (each.rfind("nats://", 0) != 0 && each.rfind("tls://", 0) != 0) {
      std::cerr << "sgeventd worker --broker: \"" << each << "\" is not a nats:// or tls:// URL\n";
      return 1;
    }
  }
  core::Shutdown shutdown;
  int code = 0;
  {
    SignalThread signals(shutdown);  // before any other thread, so every thread inherits the mask
    code = runWorker(c, urls, shutdown, signals);
  }
  // Every plugin and loader is gone with the worker: the interpreter can go too.
  if (plugins::python::pythonRunning()) {
    plugins::python::finalizePython();
  }
  return code;
}

}  // namespace sgeventd::app
