// [daemon]: the original's keys (pid file, state file, logging, polling) and sgeventd's own (state
// database, gaps, retries, ordering, durability, read-ahead, shutdown).
#include <filesystem>

#include "config/ini_file.h"
#include "config/python_numbers.h"
#include "config/sections.h"

namespace sgeventd::config {

namespace fs = std::filesystem;

namespace {

constexpr double kMinFetchInterval = 0.1;  // seconds
constexpr std::int64_t kMaxLogLevel = 50;  // logging.CRITICAL

}  // namespace

Parser retryOnParser() {
  return Parser::choice(
      {retryOnName(RetryOn::Transient), retryOnName(RetryOn::Any), retryOnName(RetryOn::Never)});
}

RetryOn retryOnOf(const Value& value) {
  for (const RetryOn r : {RetryOn::Transient, RetryOn::Any, RetryOn::Never}) {
    if (value.choice == retryOnName(r)) {
      return r;
    }
  }
  return RetryOn::Transient;  // unreachable: the parser accepts only these names
}

const std::vector<Key<DaemonConfig>>& daemonKeys() {
  using C = DaemonConfig;
  using K = const KeyContext;
  static const std::vector<Key<DaemonConfig>> keys = {
      {"pidFile", Need::Required, Parser::nonEmptyText(), "",
       "pid file, written by `sgeventd start` (not by `foreground`), removed on exit",
       [](const Value& v, C& c, K& k) { c.pidFile = k.resolve(v.text); }},
      {"eventIdFile", Need::Required, Parser::nonEmptyText(), "",
       "the original daemon's state file; imported once into the state database",
       [](const Value& v, C& c, K& k) { c.eventIdFile = k.resolve(v.text); }},
      {"logMode", Need::Required, Parser::integer(0, kIntMax), "",
       "0: one log file for everything; 1: the daemon in logFile, each plugin in plugin.<name>",
       [](const Value& v, C& c, K& k) {
         c.logMode = static_cast<int>(v.integer);
         if (c.logMode != 0 && c.logMode != 1) {
           k.warning(std::to_string(c.logMode) +
                     " is neither 0 nor 1: plugins get no log file (as the original)");
         }
       }},
      {"logPath", Need::Optional, Parser::text(), "", "folder of the log files; blank means none",
       [](const Value& v, C& c, K& k) {
         const std::string_view folder = stripPython(v.text);
         if (folder.empty()) {
           return;
         }
         c.logPath = k.resolve(std::string(folder));
         std::error_code ec;
         if (fs::exists(*c.logPath, ec) && !fs::is_directory(*c.logPath, ec)) {
           k.error(inQuotes(*c.logPath) + " exists and is not a folder");
         }
       }},
      {"logFile", Need::Required, Parser::nonEmptyText(), "",
       "main log file name, in logPath; without logPath a path of its own",
       [](const Value& v, C& c, K& k) {
         c.logFile = v.text;
         c.logFilePath =
             c.logPath ? (fs::path(*c.logPath) / v.text).lexically_normal().string() : k.resolve(v.text);
       }},
      {"logging", Need::Required, Parser::integer(-kIntMax, kIntMax), "",
       "level 0 to 50: 10 debug, 20 info, 30 warning, 40 error, 50 critical",
       [](const Value& v, C& c, K& k) {
         // Python's setLevel() takes any int, but above 50 (CRITICAL) no record is ever emitted, and
         // below 0 means nothing a level can: neither can be meant, so neither silently runs.
         if (v.integer < 0 || v.integer > kMaxLogLevel) {
           k.error(inQuotes(v.text) + " is not a logging level: use 0 to 50, e.g. 10 (DEBUG), 20 (INFO), " +
                   "30 (WARNING), 40 (ERROR) or 50 (CRITICAL); above 50 nothing would be logged");
           return;
         }
         c.logLevel = static_cast<int>(v.integer);
       }},
      {"timing_log", Need::Optional, Parser::boolean(), "off", "timing lines in <log file>.timing",
       [](const Value& v, C& c, K&) { c.timingLog = v.boolean; }},
      {"log_rotation", Need::Optional, Parser::choice({"midnight", "off"}), "midnight",
       "midnight: rename the log files at local midnight, as the original; off: leave that to logrotate",
       [](const Value& v, C& c, K&) { c.midnightRotation = v.choice == "midnight"; }},
      {"conn_retry_sleep", Need::Required, Parser::integer(0, kIntMax), "",
       "pause after max_conn_retries failed requests in a row",
       [](const Value& v, C& c, K&) { c.connRetrySleep = std::chrono::seconds(v.integer); }},
      {"max_conn_retries", Need::Required, Parser::integer(0, kIntMax), "",
       "failed requests in a row before an ERROR and a conn_retry_sleep pause",
       [](const Value& v, C& c, K&) { c.maxConnRetries = static_cast<int>(v.integer); }},
      {"fetch_interval", Need::Required, Parser::seconds(0, kMaxSeconds), "",
       "pause between polls when a batch was not full; fractions allowed, at least 0.1",
       [](const Value& v, C& c, K& k) {
         // The original sleeps fetch_interval between polls; 0 there (and here) polls the site in a
         // tight loop at full CPU, which no one means.
         if (v.seconds < kMinFetchInterval) {
           k.error(inQuotes(v.text) + " is below the floor of 0.1 seconds (a shorter pause polls the site " +
                   "without rest)");
           return;
         }
         c.fetchInterval = v.millis();
       }},
      {"max_event_batch_size", Need::Optional, Parser::integer(1, kIntMax), "500", "events per request",
       [](const Value& v, C& c, K&) { c.maxEventBatchSize = static_cast<int>(v.integer); }},
      {"state_database", Need::Optional, Parser::nonEmptyText(), "",
       "sgeventd's SQLite state; default <folder of eventIdFile>/sgeventd.sqlite",
       [](const Value& v, C& c, K& k) { c.stateDatabase = k.resolve(v.text); }},
      {"backlog_timeout", Need::Optional, Parser::integer(0, kIntMax), "300",
       "seconds an id skipped by the event log is waited for",
       [](const Value& v, C& c, K&) { c.backlogTimeout = std::chrono::seconds(v.integer); }},
      {"retry_attempts", Need::Optional, Parser::integer(1, kIntMax), "3",
       "attempts of a failing callback per event (1 = no retry)",
       [](const Value& v, C& c, K&) { c.retry.attempts = static_cast<int>(v.integer); }},
      {"retry_backoff", Need::Optional, Parser::seconds(0, kMaxSeconds), "1",
       "first pause between attempts; doubles each time",
       [](const Value& v, C& c, K&) { c.retry.backoffBase = v.millis(); }},
      {"retry_backoff_max", Need::Optional, Parser::seconds(0, kMaxSeconds), "60",
       "longest pause between attempts", [](const Value& v, C& c, K&) { c.retry.backoffCap = v.millis(); }},
      {"retry_on", Need::Optional, retryOnParser(), "transient",
       "which failures are retried: transient (connection errors and timeouts, HTTP 429/5xx, a native "
       "plugin's RETRY, a crashed or timed-out attempt), any, or never",
       [](const Value& v, C& c, K&) { c.retry.retryOn = retryOnOf(v); }},
      {"reactivate_after", Need::Optional, Parser::integer(0, kIntMax), "0",
       "seconds before a deactivated plugin is tried again; 0 = only when its file changes",
       [](const Value& v, C& c, K&) { c.reactivateAfter = std::chrono::seconds(v.integer); }},
      {"strict_order", Need::Optional, Parser::boolean(), "false",
       "one event at a time across all plugins, in id order, as the original",
       [](const Value& v, C& c, K&) { c.strictOrder = v.boolean; }},
      {"state_sync", Need::Optional, Parser::choice({"full", "normal"}), "normal",
       "normal: survives any process crash; a power cut may re-run the events of the last "
       "state_fsync_interval; full: every commit is fsynced",
       [](const Value& v, C& c, K&) { c.stateSyncFull = v.choice == "full"; }},
      {"state_fsync_interval", Need::Optional, Parser::seconds(0, kMaxSeconds), "1",
       "seconds between flushes of the state database's log under state_sync = normal; 0 = leave it to "
       "SQLite's checkpoints",
       [](const Value& v, C& c, K&) { c.stateFsyncInterval = v.millis(); }},
      {"fetch_concurrency", Need::Optional, Parser::integer(1, 16), "4",
       "id ranges read at once while catching up a backlog, each on its own connection; 1 = one read at a "
       "time; once caught up the head is polled once per fetch_interval",
       [](const Value& v, C& c, K&) { c.fetchConcurrency = static_cast<int>(v.integer); }},
      {"queue_size", Need::Optional, Parser::integer(1, kIntMax), "1000",
       "how many events the fetcher reads ahead of the fastest plugin (at least max_event_batch_size); "
       "daemon-wide",
       [](const Value& v, C& c, K&) { c.queueSize = static_cast<int>(v.integer); }},
      {"shutdown_timeout", Need::Optional, Parser::seconds(0, kMaxSeconds), "30",
       "seconds callbacks get to finish when the daemon stops",
       [](const Value& v, C& c, K&) { c.shutdownTimeout = v.millis(); }},
  };
  return keys;
}

void loadDaemonSection(const SectionSource& source, DaemonConfig& c) {
  SectionReader in(source.ini, source.report, source.baseDir, "daemon", c);
  if (!in.present()) {
    in.error(0, "", "section [daemon] is missing");
    return;
  }
  in.readAll(daemonKeys(), c);
  in.readAll(isolationKeys(), c.isolation);
  if (c.stateDatabase.empty() && !c.eventIdFile.empty()) {
    c.stateDatabase = (fs::path(c.eventIdFile).parent_path() / "sgeventd.sqlite").string();
  }
  in.warnUnknownKeys(daemonKeys(), isolationKeys());
}

}  // namespace sgeventd::config
