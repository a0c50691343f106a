#include "app/daemon_runtime.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <thread>

#include "alerts/email_alerts.h"
#include "app/admin_service.h"
#include "app/broker_publishing.h"
#include "app/catalog_source.h"
#include "app/crash_handler.h"
#include "app/crash_recovery.h"
#include "app/log_setup.h"
#include "app/plugin_loaders.h"
#include "app/plugin_policy.h"
#include "app/process_isolation.h"
#include "app/shutdown_watchdog.h"
#include "app/signal_thread.h"
#include "app/systemd_notify.h"
#include "core/clock.h"
#include "core/metrics_registry.h"
#include "core/shutdown.h"
#include "engine/engine.h"
#include "legacy/import.h"
#include "logging/file_log_factory.h"
#include "logging/timing_line.h"
#include "plugins/catalog.h"
#include "plugins/change_watcher.h"
#include "plugins/python/python_loader.h"
#include "shotgrid/client.h"
#include "store/state_store.h"
#include "store/wal_syncer.h"

namespace sgeventd::app {
namespace {

engine::EngineOptions engineOptions(const config::DaemonConfig& c) {
  engine::EngineOptions o;
  o.fetcher.fetchInterval = c.fetchInterval;
  o.fetcher.batchSize = c.maxEventBatchSize;
  o.fetcher.maxConnRetries = c.maxConnRetries;
  o.fetcher.connRetrySleep = c.connRetrySleep;
  // During a catch-up, one round of parallel reads is in flight while the lanes work through the last:
  // a read-ahead smaller than two rounds held the fetcher back after every round (measured on the daemon
  // with fetch_concurrency 4: 1,000 events of read-ahead took the catch-up 1.3 times as long as 4,000).
  o.fetcher.lead = static_cast<std::size_t>(
      std::max({c.queueSize, c.maxEventBatchSize, 2 * c.fetchConcurrency * c.maxEventBatchSize}));
  o.fetcher.concurrency = c.fetchConcurrency;
  o.lane.batchSize = c.maxEventBatchSize;
  o.lane.rangeReads = static_cast<std::size_t>(c.fetchConcurrency);
  // New events, requests and stops wake a lane at once; the idle wake only looks for due reactivations.
  o.lane.idleWait = std::min(c.fetchInterval, std::chrono::milliseconds(1000));
  o.backlogTimeout = c.backlogTimeout;
  o.policy = failurePolicyFor(c, "");
  for (const auto& [name, ov] : c.pluginOverrides) {
    o.policyOverrides[name] = failurePolicyFor(c, name);
  }
  o.strictOrder = c.strictOrder;
  // Room for one parallel catch-up round beyond the read-ahead, so a round never pushes out events that
  // the slowest lane still reads from the window.
  o.windowCapacity = o.fetcher.lead + static_cast<std::size_t>(c.fetchConcurrency + 3) *
                                          static_cast<std::size_t>(c.maxEventBatchSize);
  return o;
}

}  // namespace

namespace {

int runWithPlugins(const config::DaemonConfig& c, const RunOptions& options, core::Shutdown& shutdown,
                   SignalThread& signals, ShutdownWatchdog& watchdog) {
  bool reported = false;  // once: a standby reports when it starts waiting, not again when it leads
  auto report = [&](bool ok, const std::string& message) {
    if (options.onStarted && !reported) {
      reported = true;
      options.onStarted(ok, message);
    }
  };

  auto metrics = std::make_shared<core::MetricsRegistry>();
  // Before the log files: its handler goes on engine and every plugin.<name> logger (spec §5.2).
  std::optional<alerts::EmailAlerts> emailAlerts;
  if (c.emails.enabled) {
    emailAlerts.emplace(c.emails, alerts::EmailAlertsDeps{core::systemClock(), metrics, nullptr, ""});
  }
  logging::LogSettings logSettings = logSettingsOf(c, options.foreground);
  logSettings.timingToRoot = options.timingOnConsole;
  logSettings.alerts = emailAlerts ? emailAlerts->handler() : nullptr;
  auto logs = logging::FileLogFactory::create(logSettings);
  if (!logs) {
    const auto message = "cannot open the log files: " + logs.error().message;
    std::cerr << "sgeventd: " << message << "\n";
    report(false, message);
    return 1;
  }
  auto log = (*logs)->get("engine");
  if (emailAlerts) {
    emailAlerts->start(log);
  }
  const auto startedAt = core::systemClock()->now();  // the admin API's started_at and uptime
  watchdog.setLog(log);
  log->info(fmt::format("sgeventd {} starting with {}", SGEVENTD_VERSION, c.sourceFile));
  for (const auto& warning : options.earlyWarnings) {
    log->warning(warning);
  }

  auto store =
      store::StateStore::open(c.stateDatabase, store::OpenMode::Daemon,
                              c.stateSyncFull ? store::SyncMode::Full : store::SyncMode::Normal,
                              options.freshStart ? store::LostState::StartAfresh : store::LostState::Refuse);
  if (!store) {
    log->critical("Cannot open the state database: " + store.error().message);
    report(false, store.error().message);
    return 1;
  }
  (*store)->setCriticalLog([log](const std::string& line) { log->critical(line); });
  const auto origin = (*store)->origin();
  if (origin == store::StateOrigin::FirstStart) {
    log->info("First start: no state database at " + c.stateDatabase +
              " and no sign of an earlier run; it is created now. Each plugin's starting point follows.");
  } else if (origin == store::StateOrigin::FreshAfterLoss) {
    log->error("The state at " + c.stateDatabase +
               " was lost; starting afresh as --fresh-start asked. Events since the lost positions are not "
               "processed; each plugin's starting point follows.");
  }
  // Declared after the store so it stops first; it flushes from its own descriptor.
  std::optional<store::WalSyncer> walSyncer;
  if (!c.stateSyncFull) {
    walSyncer.emplace(c.stateDatabase, c.stateFsyncInterval, log);
  }
  for (const auto& warning : (*store)->warnings()) {
    log->warning(warning);
  }
  for (const auto& finding : c.warnings) {
    log->warning(finding.describe());
  }
  SystemdNotifier systemd;  // does nothing unless systemd started this process (Type=notify)
  // Broker mode: this daemon publishes the site's events to JetStream once it holds the site's lease,
  // and the plugins run in `sgeventd worker --broker` processes (docs/scaling-out.md).
  std::unique_ptr<BrokerPublishing> publishing;
  if (c.broker.enabled()) {
    auto led = BrokerPublishing::lead(c, shutdown, log, [&](const std::string& waitingFor) {
      systemd.status(waitingFor);
      if (waitingFor.starts_with("Standby")) {
        report(true, "standby");  // a standby is running: `start` returns, `status` says so
        systemd.ready(waitingFor);
      }
    });
    if (!led) {
      log->critical("Cannot publish to NATS: " + led.error().message);
      report(false, led.error().message);
      return 1;
    }
    if (!*led) {
      log->info("Stopped before this daemon led.");
      report(false, "stopped before start-up finished");
      return 0;
    }
    publishing = std::move(*led);
    publishing->catchUpLocalState(**store);
    publishing->attachMetrics(*metrics);
  }
  // A studio switching from the original keeps its positions: its eventIdFile is imported once.
  // After a lost state the old eventIdFile would rewind every plugin to the day of the switch.
  if (!c.eventIdFile.empty() && origin != store::StateOrigin::FreshAfterLoss) {
    auto imported = legacy::importLegacyState(c.eventIdFile, **store, *log, *core::systemClock());
    if (!imported) {
      log->error("The original daemon's state was not imported: " + imported.error().message +
                 ". Plugins without a saved position start at the newest event.");
    }
  }

  // A plugin that crashed the previous run gets a Crashed attempt; after retry_attempts on one event it is
  // deactivated or, with on_crash = isolate, runs in a worker process from now on.
  auto crashIsolated = recoverFromCrash(c, **store, log);

  // In broker mode the plugins are not loaded here: the publisher is the engine's one plugin.
  std::optional<plugins::PluginCatalog> catalog;
  std::optional<CatalogSource> catalogSource;
  if (!publishing) {
    auto setLevel = [factory = *logs](const std::string& name, core::LogLevel level) {
      factory->setLevel(name, level);
    };
    auto pluginLoaders = makePluginLoaders(c, *logs, log, shutdown, setLevel);
    if (pluginLoaders.pythonDeferred) {
      log->info("No Python plugin yet: the Python interpreter starts with the first one.");
    }
    if (!pluginLoaders.pythonError.empty()) {
      log->error("Python plugins are disabled: " + pluginLoaders.pythonError);
    }
    // In front of the others: a plugin configured with isolation = process runs in a worker process.
    std::vector<plugins::PluginLoaderPtr> loaders;
    loaders.push_back(makeProcessLoader(c, *logs, setLevel, [crashIsolated](const std::string& name) {
      return crashIsolated->contains(name);
    }));
    for (auto& loader : pluginLoaders.loaders) {
      loaders.push_back(std::move(loader));
    }
    catalog.emplace(pluginPaths(c), std::move(loaders), pluginLoaders.host);
    catalogSource.emplace(*catalog, emailAlerts ? &emailAlerts->recipients() : nullptr);
  }
  engine::PluginSource& source = publishing ? static_cast<engine::PluginSource&>(*publishing)
                                            : static_cast<engine::PluginSource&>(*catalogSource);

  std::function<void(const engine::TimingRecord&)> timing;
  if (c.timingLog) {
    auto timingLog = (*logs)->get("timing");
    timing = [timingLog](const engine::TimingRecord& r) {
      timingLog->info(logging::formatTimingLine(r.eventId, r.createdAt.value_or(r.start), r.callbackLogger,
                                                r.start, r.end, r.error));
    };
  }

  // The plugins the original daemon's state file placed (its pre-2011 single id) start there.
  engine::StartPositionPolicy legacyStart =
      [&store = **store](const plugins::PluginId& id) -> std::optional<engine::StartPosition> {
    auto legacy = legacy::legacyDefaultCursor(store, id.collection);
    if (legacy && *legacy) {
      return engine::StartPosition{**legacy, "from the original daemon's state file"};
    }
    return std::nullopt;
  };
  // After the loaders (the Python interpreter may install a fault handler of its own, which ours then
  // calls) and before the lanes: from here a fatal signal in a callback is noted for the next start.
  auto crashHandler = CrashHandler::install(crashNotePath(c));
  if (!crashHandler) {
    log->warning("A plugin that crashes the daemon will not be noted: " + crashHandler.error().message);
  }
  auto engineSettings = engineOptions(c);
  for (const auto& name : crashIsolated->names()) {
    auto& policy = engineSettings.policyOverrides.try_emplace(name, engineSettings.policy).first->second;
    policy.inWorkerProcess = true;  // killed at its callback_timeout, never reported stuck
  }
  if (publishing) {
    // The publisher waits for JetStream itself (and logs one WARNING per outage): no retry schedule, no
    // callback_timeout. An event the stream can never hold is recorded as failed and skipped.
    engine::FailurePolicy policy;
    policy.attempts = std::numeric_limits<int>::max();
    policy.backoff = {std::chrono::milliseconds(100), std::chrono::milliseconds(2000)};
    policy.stopOnError = false;
    engineSettings.policyOverrides[broker::PublisherPlugin::kName] = policy;
  }
  engine::Engine engine(
      std::move(engineSettings),
      engine::EngineDeps{**store, *logs, core::systemClock(), shutdown,
                         [&c, log, &shutdown]() -> shotgrid::EventReaderPtr {
                           // The daemon's own reads end at a stop, answered or not.
                           auto o = clientOptions(c, c.scriptName, c.scriptKey, log, shutdown);
                           o.abandonOnStop = true;
                           return std::make_unique<shotgrid::Client>(std::move(o));
                         },
                         source, timing, metrics, publishing ? publishing->startPosition() : legacyStart});
  systemd.status("Starting: reading the state and asking the site for its newest event");
  if (auto started = engine.start(); !started) {
    if (shutdown.requested()) {
      log->info("Stopped before the site answered.");
      report(false, "stopped before start-up finished");
      return 0;
    }
    log->critical("Cannot start: " + started.error().message);
    report(false, started.error().message);
    return 1;
  }
  // After the engine, so every endpoint has an engine to read; stopped before the engine stops.
  admin::BrokerViews brokerStatus;
  if (publishing) {
    brokerStatus.status = [p = publishing.get()] { return p->status(); };
    brokerStatus.failures = [p = publishing.get()](const std::optional<std::string>& plugin, int limit) {
      return p->failures(plugin, limit);
    };
  }
  auto adminService =
      AdminService::start(c, engine, **store, metrics, shutdown, log, startedAt, brokerStatus);
  report(true, "running");
  systemd.ready(serviceStatusLine(engine.status()));

  // Plugins are re-scanned every fetch interval (mtime and size, which works on NFS); inotify only
  // shortens the wait after a local change.
  auto watcher = plugins::ChangeWatcher::create();
  if (watcher) {
    (*watcher)->watch(catalog ? catalog->directories() : std::vector<std::filesystem::path>{});
    signals.onSignal([w = watcher->get()] { w->wake(); });
  } else {
    log->debug("No inotify (" + watcher.error().message + "); plugin changes are found by polling alone.");
  }
  auto lastScan = std::chrono::steady_clock::now();
  while (!shutdown.requested()) {
    // One-second slices keep SIGHUP, SIGUSR1 and the stuck report prompt (a stop wakes the wait at once);
    // a quarter second cost an idle daemon more CPU than its polls of the site. The rescan itself follows
    // fetch_interval.
    const auto slice = std::min(c.fetchInterval, std::chrono::milliseconds(1000));
    bool changed = false;
    if (watcher) {
      changed = (*watcher)->wait(slice);
    } else {
      shutdown.waitFor(slice);
    }
    if (signals.takeReopenRequest()) {
      for (const auto& failure : (*logs)->reopenFiles()) {
        log->error("SIGUSR1: " + failure);
      }
      log->info("SIGUSR1: log files reopened.");
    }
    engine.reportStuck();  // a callback in a lane's thread past its callback_timeout: one WARNING
    if (publishing) {
      publishing->sampleMetrics();
    }
    if (systemd.active()) {
      // The watchdog hears from this loop only while the engine answers for its fetcher and lanes.
      systemd.status(serviceStatusLine(engine.status()));
      systemd.watchdog();
    }
    const bool force = signals.takeReloadRequest();
    const auto now = std::chrono::steady_clock::now();
    if (shutdown.requested() || (!changed && !force && now - lastScan < c.fetchInterval)) {
      continue;
    }
    lastScan = now;
    if (force) {
      log->info("SIGHUP: reloading every plugin.");
      systemd.reloading();
    }
    engine.refreshPlugins(force);
    if (force) {
      systemd.ready(serviceStatusLine(engine.status()));
    }
  }
  signals.onSignal(nullptr);  // the watcher goes with this scope
  systemd.stopping();

  adminService.reset();  // no API call races the engine's stop
  log->info("Stopping: letting each plugin finish its current event.");
  // A callback that never returns must not keep the process alive: the watchdog bounds the whole stop.
  watchdog.phase("the plugins to finish their current event");
  engine.stop();
  if (emailAlerts) {
    // What the stop itself logged still goes out; a dead server costs at most this bound.
    watchdog.phase("the e-mail alerts to be sent");
    emailAlerts->stop(std::chrono::seconds(5));
  }
  watchdog.phase("the state database and log files to close");
  log->info("Stopped.");
  return shutdown.exitCode();
}

}  // namespace

int runDaemon(const config::DaemonConfig& c, const RunOptions& options) {
  core::Shutdown shutdown;
  SignalThread signals(shutdown);  // before any other thread exists
  ShutdownWatchdog watchdog(shutdown, c.shutdownTimeout);
  const int code = runWithPlugins(c, options, shutdown, signals, watchdog);
  // Every Python plugin, loader and lane is gone by now: the interpreter can go too. It waits for threads
  // a plugin started, so the watchdog still covers it.
  if (plugins::python::pythonRunning()) {
    watchdog.phase("Python to finalize (a thread a plugin started is still running)");
    plugins::python::finalizePython();
  }
  watchdog.disarm();
  return code;
}

}  // namespace sgeventd::app
