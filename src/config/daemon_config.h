#pragma once
// The typed daemon configuration: every key of the original shotgunEventDaemon.conf (spec §1.3) plus
// sgeventd's own. Built from an IniFile (ini_file.h) with Python ConfigParser semantics; the keys of each
// section, their parsers, defaults and meaning are the tables in section_*.cpp (sections.h).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_types.h"  // ConfigError, Environment, processEnvironment()
#include "core/expected.h"

namespace sgeventd::config {

struct RetrySettings {
  int attempts = 3;  // callback attempts per event before the failure policy applies (1 = no retry)
  std::chrono::milliseconds backoffBase{1000};
  std::chrono::milliseconds backoffCap{60000};
  RetryOn retryOn = RetryOn::Transient;  // which failures are retried at all
  bool operator==(const RetrySettings&) const = default;
};

// Where a plugin's callbacks run: the daemon's own threads, or a worker process (`sgeventd worker`) that
// may crash, hang or leak without touching the rest. [daemon] sets the defaults, [plugin:NAME] overrides.
struct IsolationSettings {
  bool process = false;     // `isolation`: thread (false) or process
  std::string workerGroup;  // `worker_group`: plugins naming the same group share one worker; "": its own
  std::optional<std::chrono::milliseconds> callbackTimeout;  // off when unset
  std::optional<std::int64_t> memoryLimit;                   // `worker_memory_limit`, bytes
  std::optional<std::int64_t> maxEvents;                     // `worker_max_events`: restart after so many
  bool isolateOnCrash = false;  // `on_crash`: deactivate (false) or isolate a plugin that crashed the daemon
  bool operator==(const IsolationSettings&) const = default;
};

struct EmailSettings {
  bool enabled = false;
  std::string server;
  int port = 25;
  bool useTls = false;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  // sgeventd only (docs/email-alerts.md).
  std::chrono::milliseconds coalesceWindow{60000};  // identical errors within it: one more mail, counted
  int maxPerHour = 30;                              // 0: no cap
  int queueSize = 200;                              // alerts waiting to be sent; beyond it they are dropped
  std::chrono::milliseconds timeout{10000};         // one SMTP conversation
  std::optional<std::string> tlsCaFile;             // CA bundle instead of the system's
  bool operator==(const EmailSettings&) const = default;
};

// [admin]: the admin HTTP server (API, /metrics, health checks, status page).
struct AdminSettings {
  std::string listen = "127.0.0.1:8480";  // as written; empty: no admin server
  std::string host = "127.0.0.1";         // parsed from listen
  int port = 8480;                        // 0 picks a free port (the daemon logs the one it bound)
  bool loopback = true;                   // listen is a loopback address: reads need no token
  std::string token;                      // from token or token_file; empty: none
  std::chrono::seconds stuckAfter{300};   // a callback running longer makes /readyz answer 503
  bool operator==(const AdminSettings&) const = default;
};

// [broker]: publishing the events to NATS JetStream (docs/scaling-out.md). Off while `url` is empty.
struct BrokerSettings {
  std::vector<std::string> urls;  // `url`, split at commas: nats:// (or tls://) servers of one cluster
  std::optional<std::string> credentials;  // a .creds file (JWT and NKey seed)
  std::optional<std::string> tlsCaFile;    // CA bundle for the servers' certificates
  std::string stream = "SGEVENTS";         // the JetStream stream the site's events go to
  int replicas = 1;                        // 1 or 3 copies of the stream in the cluster
  std::string site;                        // subject token; derived from [shotgun] server when absent
  int maxPendingAcks = 256;                // events published and not yet acknowledged, at most
  // Workers (`sgeventd worker --broker`): how long a delivered event may go unacknowledged before the
  // server hands it to another worker (a running callback extends it every ack_wait / 3).
  std::chrono::milliseconds ackWait{30000};
  // `new_consumer_start`: where a plugin's consumer created now starts: after the newest event (false,
  // the original's rule for a new plugin) or at the stream's first event (true, `all`).
  bool newConsumerStartAll = false;
  bool enabled() const { return !urls.empty(); }
  bool operator==(const BrokerSettings&) const = default;
};

// [plugin:NAME] sections override the daemon-wide values for one plugin. (queue_size is daemon-wide: a
// [plugin:NAME] queue_size is a warning and is not stored.)
struct PluginOverrides {
  // Set when the section has any retry_* key; the keys it lacks keep the [daemon] values.
  std::optional<RetrySettings> retry;
  std::optional<std::chrono::seconds> reactivateAfter;
  std::optional<bool> stopOnError;  // overrides every callback's registration value
  // Set when the section has any isolation key; the keys it lacks keep the [daemon] values.
  std::optional<IsolationSettings> isolation;
  bool operator==(const PluginOverrides&) const = default;
};

struct DaemonConfig {
  std::string sourceFile;  // absolute path of the file read; relative paths below resolve against its folder

  // [daemon]
  std::string pidFile;
  std::string eventIdFile;  // legacy pickle state, imported once (issue: Python plugins)
  int logMode = 1;
  std::optional<std::string> logPath;
  std::string logFile;      // as written: a file name under logPath, or a path when logPath is absent
  std::string logFilePath;  // absolute: logPath/logFile, or logFile resolved against the config folder
  int logLevel = 20;        // `logging`
  bool timingLog = false;
  bool midnightRotation = true;  // `log_rotation`: midnight (default, as the original) or off (logrotate)
  std::chrono::seconds connRetrySleep{60};
  int maxConnRetries = 5;
  std::chrono::milliseconds fetchInterval{5000};  // fractions allowed
  int maxEventBatchSize = 500;
  // sgeventd additions
  std::string stateDatabase;  // default: <folder of eventIdFile>/sgeventd.sqlite
  std::chrono::seconds backlogTimeout{300};
  RetrySettings retry;
  std::chrono::seconds reactivateAfter{0};  // 0 = never
  bool strictOrder = false;
  // `state_sync`: normal (default) survives any process crash (kill -9); a power cut may roll back the
  // commits of the last `state_fsync_interval` (re-runs, never losses). full fsyncs every commit.
  bool stateSyncFull = false;
  // `state_fsync_interval`: how often the WAL is flushed to disk under state_sync = normal; 0 = never
  // between SQLite's own checkpoints.
  std::chrono::milliseconds stateFsyncInterval{1000};
  // `fetch_concurrency`: id ranges read at once during catch-up; 1 = one read at a time.
  int fetchConcurrency = 4;
  // How far the fetcher reads ahead of the fastest plugin, in events (at least max_event_batch_size):
  // the shared window's read-ahead, not a per-plugin buffer.
  int queueSize = 1000;
  IsolationSettings isolation;  // the default of every plugin; [plugin:NAME] overrides it
  std::chrono::milliseconds shutdownTimeout{30000};

  // [shotgun]
  std::string server;
  std::string scriptName;  // `name`
  std::string scriptKey;   // `key`
  std::optional<std::string> proxyServer;
  bool useSessionUuid = false;
  std::optional<std::string> caCerts;
  bool verifyTls = true;
  std::chrono::milliseconds connectTimeout{10000};
  std::chrono::milliseconds requestTimeout{60000};

  // [plugins]
  std::vector<std::string> pluginPaths;          // as written (state keys)
  std::vector<std::string> resolvedPluginPaths;  // absolute, same order
  std::vector<std::string> pythonPath;           // extra sys.path entries
  std::optional<std::string> pythonVenv;         // a virtual environment's folder

  // [emails]
  EmailSettings emails;

  // [admin]
  AdminSettings admin;

  // [broker]
  BrokerSettings broker;

  std::map<std::string, PluginOverrides> pluginOverrides;  // by plugin name

  std::vector<ConfigError> warnings;  // unknown keys and other non-fatal findings (check-config prints them)

  bool operator==(const DaemonConfig&) const = default;
};

// Everything found in one file: `config` is set only when `errors` is empty.
struct ConfigReport {
  std::optional<DaemonConfig> config;
  std::vector<ConfigError> errors;
  std::vector<ConfigError> warnings;
};
ConfigReport checkDaemonConfig(const std::string& path, const Environment& env);

// The file name the original looks for.
inline constexpr const char* kConfigFileName = "shotgunEventDaemon.conf";

// Reads and validates the file; every problem found is returned, not just the first.
Expected<DaemonConfig, std::vector<ConfigError>> loadDaemonConfig(const std::string& path,
                                                                  const Environment& env);

// -c PATH, else $SGEVENTD_CONFIG, else the original's search order (next to the binary, /etc), then the
// package's /etc/sgeventd. `cliOrigin` says where `cliPath` came from, for the error messages.
Expected<std::string, std::string> locateConfig(const std::optional<std::string>& cliPath,
                                                const Environment& env, const std::string& argv0,
                                                std::string_view cliOrigin = "given with -c");

}  // namespace sgeventd::config
