#include "config/daemon_config.h"

#include <algorithm>
#include <cctype>

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>
#include <utility>

#include "config/ini_file.h"
#include "config/python_numbers.h"

namespace sgeventd::config {

namespace fs = std::filesystem;

namespace {

enum class Need { Required, Optional };

const std::set<std::string> kDaemonKeys = {"pidfile",
                                           "eventidfile",
                                           "logmode",
                                           "logpath",
                                           "logfile",
                                           "logging",
                                           "timing_log",
                                           "conn_retry_sleep",
                                           "max_conn_retries",
                                           "fetch_interval",
                                           "max_event_batch_size",
                                           "state_database",
                                           "backlog_timeout",
                                           "retry_attempts",
                                           "retry_backoff",
                                           "retry_backoff_max",
                                           "reactivate_after",
                                           "strict_order",
                                           "state_sync",
                                           "queue_size",
                                           "shutdown_timeout"};
const std::set<std::string> kShotgunKeys = {"server",           "name",     "key",        "proxy_server",
                                            "use_session_uuid", "ca_certs", "verify_tls", "connect_timeout",
                                            "request_timeout"};
const std::set<std::string> kPluginsKeys = {"paths", "python_path", "python_venv"};
const std::set<std::string> kEmailsKeys = {"enabled",  "server", "port", "usetls", "username",
                                           "password", "from",   "to",   "subject"};
const std::set<std::string> kPluginSectionKeys = {"retry_attempts",   "retry_backoff", "retry_backoff_max",
                                                  "reactivate_after", "queue_size",    "stop_on_error"};
constexpr std::string_view kPluginSectionPrefix = "plugin:";

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) {
      comma = text.size();
    }
    const std::string_view entry = stripPython(std::string_view(text).substr(start, comma - start));
    if (!entry.empty()) {
      out.emplace_back(entry);
    }
    start = comma + 1;
  }
  return out;
}

std::string inQuotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::chrono::milliseconds toMillis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

// Reads typed values from one IniFile, recording every problem instead of stopping at the first.
class Loader {
 public:
  Loader(const IniFile& ini, ConfigReport& report, fs::path baseDir)
      : ini_(ini), report_(report), baseDir_(std::move(baseDir)) {}

  bool requireSection(const std::string& section) {
    if (ini_.hasSection(section)) {
      return true;
    }
    error(0, "", "section [" + section + "] is missing");
    return false;
  }

  void error(int line, std::string key, std::string message) {
    report_.errors.push_back(ConfigError{ini_.fileName(), line, std::move(key), std::move(message)});
  }
  void warning(int line, std::string key, std::string message) {
    report_.warnings.push_back(ConfigError{ini_.fileName(), line, std::move(key), std::move(message)});
  }
  void error(const IniError& e) { report_.errors.push_back(e.error); }
  int line(const std::string& section, const std::string& key) const { return ini_.lineOf(section, key); }
  bool has(const std::string& section, const std::string& key) const { return ini_.hasOption(section, key); }

  // `key` is spelled as the documentation spells it (pidFile); lookups are case-insensitive.
  std::optional<std::string> text(const std::string& section, const std::string& key, Need need) {
    if (!ini_.hasOption(section, key)) {
      if (need == Need::Required) {
        error(0, key, "required key is missing from [" + section + "]");
      }
      return std::nullopt;
    }
    auto value = ini_.get(section, key);
    if (!value) {
      error(value.error());
      return std::nullopt;
    }
    return *value;
  }

  std::optional<std::string> nonEmptyText(const std::string& section, const std::string& key, Need need) {
    auto value = text(section, key, need);
    if (value && value->empty()) {
      error(line(section, key), key, "is empty");
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::int64_t> integer(const std::string& section, const std::string& key, Need need,
                                      std::int64_t min, std::int64_t max) {
    auto value = text(section, key, need);
    if (!value) {
      return std::nullopt;
    }
    auto parsed = parsePythonInt(*value);
    if (!parsed) {
      const bool fraction = parsePythonFloat(*value).has_value();
      error(line(section, key), key,
            inQuotes(*value) + (fraction ? " is not a whole number" : " is not an integer"));
      return std::nullopt;
    }
    if (*parsed < min || *parsed > max) {
      error(
          line(section, key), key,
          inQuotes(*value) + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
      return std::nullopt;
    }
    return parsed;
  }

  std::optional<double> number(const std::string& section, const std::string& key, Need need, double min,
                               double max) {
    auto value = text(section, key, need);
    if (!value) {
      return std::nullopt;
    }
    auto parsed = parsePythonFloat(*value);
    if (!parsed) {
      error(line(section, key), key, inQuotes(*value) + " is not a number");
      return std::nullopt;
    }
    if (!std::isfinite(*parsed) || *parsed < min || *parsed > max) {
      error(line(section, key), key,
            inQuotes(*value) + " is out of range (" + trim(min) + " to " + trim(max) + ")");
      return std::nullopt;
    }
    return parsed;
  }

  std::optional<bool> boolean(const std::string& section, const std::string& key, Need need) {
    auto value = text(section, key, need);
    if (!value) {
      return std::nullopt;
    }
    auto parsed = parsePythonBool(*value);
    if (!parsed) {
      error(line(section, key), key,
            inQuotes(*value) + " is not a boolean (use 1/yes/true/on or 0/no/false/off)");
    }
    return parsed;
  }

  std::string resolve(const std::string& value) const {
    fs::path p(value);
    if (!value.empty() && value[0] == '~') {
      return value;  // not expanded, as the original; the error messages will show it as written
    }
    return (p.is_absolute() ? p : baseDir_ / p).lexically_normal().string();
  }

  void warnUnknownKeys(const std::string& section, const std::set<std::string>& known) {
    for (const auto& key : ini_.ownOptions(section)) {
      if (known.count(key) == 0) {
        warning(line(section, key), key, "unknown key in [" + section + "] (ignored)");
      }
    }
  }

 private:
  static std::string trim(double v) {
    std::string s = std::to_string(v);
    while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
      const bool dot = s.back() == '.';
      s.pop_back();
      if (dot) {
        break;
      }
    }
    return s;
  }

  const IniFile& ini_;
  ConfigReport& report_;
  fs::path baseDir_;
};

constexpr std::int64_t kIntMax = 2147483647;
constexpr double kMaxSeconds = 365.0 * 24 * 3600;

void loadDaemonSection(Loader& in, DaemonConfig& c) {
  const std::string s = "daemon";
  if (!in.requireSection(s)) {
    return;
  }
  if (auto v = in.nonEmptyText(s, "pidFile", Need::Required)) {
    c.pidFile = in.resolve(*v);
  }
  if (auto v = in.nonEmptyText(s, "eventIdFile", Need::Required)) {
    c.eventIdFile = in.resolve(*v);
  }
  if (auto v = in.integer(s, "logMode", Need::Required, 0, kIntMax)) {
    c.logMode = static_cast<int>(*v);
    if (c.logMode != 0 && c.logMode != 1) {
      in.warning(
          in.line(s, "logMode"), "logMode",
          std::to_string(c.logMode) + " is neither 0 nor 1: plugins get no log file (as the original)");
    }
  }
  if (auto v = in.text(s, "logPath", Need::Optional); v && !stripPython(*v).empty()) {
    c.logPath = in.resolve(std::string(stripPython(*v)));
    std::error_code ec;
    if (fs::exists(*c.logPath, ec) && !fs::is_directory(*c.logPath, ec)) {
      in.error(in.line(s, "logPath"), "logPath", inQuotes(*c.logPath) + " exists and is not a folder");
    }
  }
  if (auto v = in.nonEmptyText(s, "logFile", Need::Required)) {
    c.logFile = *v;
    c.logFilePath = c.logPath ? (fs::path(*c.logPath) / *v).lexically_normal().string() : in.resolve(*v);
  }
  if (auto v = in.integer(s, "logging", Need::Required, 0, 100)) {
    c.logLevel = static_cast<int>(*v);
  }
  if (auto v = in.boolean(s, "timing_log", Need::Optional)) {
    c.timingLog = *v;
  }
  if (auto v = in.integer(s, "conn_retry_sleep", Need::Required, 0, kIntMax)) {
    c.connRetrySleep = std::chrono::seconds(*v);
  }
  if (auto v = in.integer(s, "max_conn_retries", Need::Required, 0, kIntMax)) {
    c.maxConnRetries = static_cast<int>(*v);
  }
  if (auto v = in.number(s, "fetch_interval", Need::Required, 0, kMaxSeconds)) {
    c.fetchInterval = toMillis(*v);
  }
  if (auto v = in.integer(s, "max_event_batch_size", Need::Optional, 1, kIntMax)) {
    c.maxEventBatchSize = static_cast<int>(*v);
  }
  if (auto v = in.nonEmptyText(s, "state_database", Need::Optional)) {
    c.stateDatabase = in.resolve(*v);
  } else if (!c.eventIdFile.empty()) {
    c.stateDatabase = (fs::path(c.eventIdFile).parent_path() / "sgeventd.sqlite").string();
  }
  if (auto v = in.integer(s, "backlog_timeout", Need::Optional, 0, kIntMax)) {
    c.backlogTimeout = std::chrono::seconds(*v);
  }
  if (auto v = in.integer(s, "retry_attempts", Need::Optional, 1, kIntMax)) {
    c.retry.attempts = static_cast<int>(*v);
  }
  if (auto v = in.number(s, "retry_backoff", Need::Optional, 0, kMaxSeconds)) {
    c.retry.backoffBase = toMillis(*v);
  }
  if (auto v = in.number(s, "retry_backoff_max", Need::Optional, 0, kMaxSeconds)) {
    c.retry.backoffCap = toMillis(*v);
  }
  if (auto v = in.integer(s, "reactivate_after", Need::Optional, 0, kIntMax)) {
    c.reactivateAfter = std::chrono::seconds(*v);
  }
  if (auto v = in.boolean(s, "strict_order", Need::Optional)) {
    c.strictOrder = *v;
  }
  if (auto v = in.text(s, "state_sync", Need::Optional)) {
    std::string mode = *v;
    std::transform(mode.begin(), mode.end(), mode.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (mode == "full" || mode == "normal") {
      c.stateSyncFull = mode == "full";
    } else {
      in.error(in.line(s, "state_sync"), "state_sync", "\"" + *v + "\" is not full or normal");
    }
  }
  if (auto v = in.integer(s, "queue_size", Need::Optional, 1, kIntMax)) {
    c.queueSize = static_cast<int>(*v);
  }
  if (auto v = in.number(s, "shutdown_timeout", Need::Optional, 0, kMaxSeconds)) {
    c.shutdownTimeout = toMillis(*v);
  }
  in.warnUnknownKeys(s, kDaemonKeys);
}

void loadShotgunSection(Loader& in, DaemonConfig& c) {
  const std::string s = "shotgun";
  if (!in.requireSection(s)) {
    return;
  }
  if (auto v = in.nonEmptyText(s, "server", Need::Required)) {
    const std::string url(stripPython(*v));
    const std::string lower = [&] {
      std::string l = url.substr(0, 8);
      for (char& ch : l) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      return l;
    }();
    if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) {
      in.error(in.line(s, "server"), "server", inQuotes(url) + " is not an http:// or https:// URL");
    }
    c.server = url;
  }
  if (auto v = in.nonEmptyText(s, "name", Need::Required)) {
    c.scriptName = *v;
  }
  if (auto v = in.nonEmptyText(s, "key", Need::Required)) {
    c.scriptKey = *v;
  }
  if (auto v = in.text(s, "proxy_server", Need::Optional)) {
    const std::string proxy(stripPython(*v));
    if (!proxy.empty()) {
      c.proxyServer = proxy;
    }
  }
  if (auto v = in.boolean(s, "use_session_uuid", Need::Required)) {
    c.useSessionUuid = *v;
  }
  if (auto v = in.nonEmptyText(s, "ca_certs", Need::Optional)) {
    c.caCerts = in.resolve(*v);
    std::error_code ec;
    if (!fs::exists(*c.caCerts, ec)) {
      in.error(in.line(s, "ca_certs"), "ca_certs", inQuotes(*c.caCerts) + " does not exist");
    }
  }
  if (auto v = in.boolean(s, "verify_tls", Need::Optional)) {
    c.verifyTls = *v;
    if (!*v) {
      in.warning(in.line(s, "verify_tls"), "verify_tls", "TLS certificates are not verified");
    }
  }
  if (auto v = in.number(s, "connect_timeout", Need::Optional, 0.001, kMaxSeconds)) {
    c.connectTimeout = toMillis(*v);
  }
  if (auto v = in.number(s, "request_timeout", Need::Optional, 0.001, kMaxSeconds)) {
    c.requestTimeout = toMillis(*v);
  }
  in.warnUnknownKeys(s, kShotgunKeys);
}

void loadPluginsSection(Loader& in, DaemonConfig& c) {
  const std::string s = "plugins";
  if (!in.requireSection(s)) {
    return;
  }
  if (auto v = in.text(s, "paths", Need::Required)) {
    const int line = in.line(s, "paths");
    const auto entries = splitList(*v);
    if (entries.empty()) {
      in.error(line, "paths", "lists no plugin folder");
    }
    std::set<std::string> seen;
    for (const auto& entry : entries) {
      const std::string resolved = in.resolve(entry);
      std::error_code ec;
      if (!fs::exists(resolved, ec)) {
        in.error(line, "paths", "plugin folder " + inQuotes(resolved) + " does not exist");
      } else if (!fs::is_directory(resolved, ec)) {
        in.error(line, "paths", "plugin folder " + inQuotes(resolved) + " is not a folder");
      } else if (!seen.insert(resolved).second) {
        in.warning(line, "paths",
                   "plugin folder " + inQuotes(resolved) + " is listed twice; it is loaded once");
        continue;
      }
      c.pluginPaths.push_back(entry);
      c.resolvedPluginPaths.push_back(resolved);
    }
  }
  if (auto v = in.text(s, "python_path", Need::Optional)) {
    for (const auto& entry : splitList(*v)) {
      c.pythonPath.push_back(in.resolve(entry));
      std::error_code ec;
      if (!fs::exists(c.pythonPath.back(), ec)) {
        in.warning(in.line(s, "python_path"), "python_path",
                   inQuotes(c.pythonPath.back()) + " does not exist");
      }
    }
  }
  if (auto v = in.nonEmptyText(s, "python_venv", Need::Optional)) {
    c.pythonVenv = in.resolve(std::string(stripPython(*v)));
    std::error_code ec;
    if (!fs::is_directory(*c.pythonVenv, ec)) {
      in.error(in.line(s, "python_venv"), "python_venv", inQuotes(*c.pythonVenv) + " is not a folder");
    }
  }
  in.warnUnknownKeys(s, kPluginsKeys);
}

void loadEmailsSection(Loader& in, const IniFile& ini, DaemonConfig& c) {
  const std::string s = "emails";
  if (!ini.hasSection(s)) {
    return;  // the original requires [emails] enabled; sgeventd treats a missing section as "no email"
  }
  EmailSettings& e = c.emails;
  const std::optional<bool> enabled = in.boolean(s, "enabled", Need::Optional);
  if (enabled == false || (!enabled && in.has(s, "enabled"))) {
    // Disabled (or unreadable, already reported): the other keys are not read, so an unset
    // %(SG_ED_EMAIL_USERNAME)s does not matter, as in the original.
    in.warnUnknownKeys(s, kEmailsKeys);
    return;
  }
  const bool explicitlyOn = enabled.value_or(false);
  const Need need = explicitlyOn ? Need::Required : Need::Optional;
  e.server = in.text(s, "server", need).value_or("");
  e.from = in.text(s, "from", need).value_or("");
  if (auto v = in.text(s, "to", need)) {
    e.to = splitList(*v);
  }
  e.subject = in.text(s, "subject", need).value_or("");
  if (auto v = in.integer(s, "port", Need::Optional, 1, 65535)) {
    e.port = static_cast<int>(*v);
  }
  if (auto v = in.boolean(s, "useTLS", Need::Optional)) {
    e.useTls = *v;
  }
  if (auto v = in.text(s, "username", Need::Optional); v && !v->empty()) {
    e.username = *v;
  }
  if (auto v = in.text(s, "password", Need::Optional); v && !v->empty()) {
    e.password = *v;
  }
  const bool complete = !e.server.empty() && !e.from.empty() && !e.to.empty() && !e.subject.empty();
  if (enabled.has_value()) {
    e.enabled = explicitlyOn && complete;
    if (explicitlyOn && !complete && in.has(s, "server") && in.has(s, "from") && in.has(s, "to") &&
        in.has(s, "subject")) {
      in.warning(in.line(s, "enabled"), "enabled",
                 "is true but server, from, to or subject is empty: no email is sent (as the original)");
    }
  } else {
    e.enabled = complete;
    if (complete) {
      in.warning(0, "enabled",
                 "missing from [emails]; emails are sent because server, from, to and subject are set "
                 "(write \"enabled: true\" or \"enabled: false\" to say so)");
    }
  }
  if (e.enabled && e.useTls && !e.username) {
    in.warning(in.line(s, "useTLS"), "useTLS", "STARTTLS is used without a login (the original skipped it)");
  }
  in.warnUnknownKeys(s, kEmailsKeys);
}

void loadPluginSections(Loader& in, const IniFile& ini, DaemonConfig& c) {
  for (const auto& section : ini.sections()) {
    if (section.rfind(kPluginSectionPrefix, 0) != 0) {
      continue;
    }
    const std::string name = section.substr(kPluginSectionPrefix.size());
    if (name.empty()) {
      in.error(0, "", "section [" + section + "] names no plugin (write [plugin:NAME])");
      continue;
    }
    PluginOverrides o;
    const bool retryGiven = in.has(section, "retry_attempts") || in.has(section, "retry_backoff") ||
                            in.has(section, "retry_backoff_max");
    RetrySettings retry = c.retry;
    if (auto v = in.integer(section, "retry_attempts", Need::Optional, 1, kIntMax)) {
      retry.attempts = static_cast<int>(*v);
    }
    if (auto v = in.number(section, "retry_backoff", Need::Optional, 0, kMaxSeconds)) {
      retry.backoffBase = toMillis(*v);
    }
    if (auto v = in.number(section, "retry_backoff_max", Need::Optional, 0, kMaxSeconds)) {
      retry.backoffCap = toMillis(*v);
    }
    if (retryGiven) {
      o.retry = retry;
    }
    if (auto v = in.integer(section, "reactivate_after", Need::Optional, 0, kIntMax)) {
      o.reactivateAfter = std::chrono::seconds(*v);
    }
    if (auto v = in.integer(section, "queue_size", Need::Optional, 1, kIntMax)) {
      o.queueSize = static_cast<int>(*v);
    }
    if (auto v = in.boolean(section, "stop_on_error", Need::Optional)) {
      o.stopOnError = *v;
    }
    in.warnUnknownKeys(section, kPluginSectionKeys);
    c.pluginOverrides[name] = o;
  }
}

}  // namespace

Environment processEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos && eq > 0) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return env;
}

ConfigReport checkDaemonConfig(const std::string& path, const Environment& env) {
  ConfigReport report;
  std::error_code ec;
  if (fs::exists(path, ec) && fs::is_directory(path, ec)) {
    report.errors.push_back(ConfigError{path, 0, "", "is a folder, not a config file"});
    return report;
  }
  auto ini = IniFile::read(path, env);
  if (!ini) {
    for (const auto& e : ini.error()) {
      report.errors.push_back(e.error);
    }
    return report;
  }
  DaemonConfig config;
  const fs::path absolute = fs::absolute(path, ec).lexically_normal();
  config.sourceFile = absolute.string();
  Loader in(*ini, report, absolute.parent_path());
  loadDaemonSection(in, config);
  loadShotgunSection(in, config);
  loadPluginsSection(in, config);
  loadEmailsSection(in, *ini, config);
  loadPluginSections(in, *ini, config);
  if (report.errors.empty()) {
    config.warnings = report.warnings;
    report.config = std::move(config);
  }
  return report;
}

Expected<DaemonConfig, std::vector<ConfigError>> loadDaemonConfig(const std::string& path,
                                                                  const Environment& env) {
  ConfigReport report = checkDaemonConfig(path, env);
  if (!report.config) {
    return unexpected(std::move(report.errors));
  }
  return std::move(*report.config);
}

}  // namespace sgeventd::config
