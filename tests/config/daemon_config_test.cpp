#include "config/daemon_config.h"

#include <gtest/gtest.h>

#include "config/sections.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sgeventd::config {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sgeventd-config-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

const Environment kEnv = {{"SG_ED_SITE_URL", "https://studio.shotgrid.autodesk.com"},
                          {"SG_ED_SCRIPT_NAME", "eventDaemon"},
                          {"SG_ED_API_KEY", "s3cr%t"},
                          {"PORT", "2525"},
                          {"USERNAME", "windows-user"},
                          {"LOGPATH", "/leaked"}};

// A minimal valid config; `extra` is appended to [daemon], tests add sections after it.
std::string minimal(const std::string& daemonExtra = "", const std::string& tail = "") {
  return "[daemon]\npidFile: run/sgeventd.pid\neventIdFile: state/sg.id\nlogMode: 1\nlogFile: sg.log\n"
         "logging: 20\nconn_retry_sleep: 60\nmax_conn_retries: 5\nfetch_interval: 5\n" +
         daemonExtra +
         "\n[shotgun]\nserver: %(SG_ED_SITE_URL)s\nname: %(SG_ED_SCRIPT_NAME)s\nkey: %(SG_ED_API_KEY)s\n"
         "use_session_uuid: false\n\n[plugins]\npaths: plugins\n" +
         tail;
}

struct Fixture {
  TempDir dir;
  Fixture() { fs::create_directory(dir.path() / "plugins"); }
  ConfigReport check(const std::string& text) const {
    return checkDaemonConfig(dir.write("shotgunEventDaemon.conf", text), kEnv);
  }
  std::vector<std::string> errors(const std::string& text) const {
    std::vector<std::string> out;
    for (const auto& e : check(text).errors) {
      out.push_back(e.describe().substr(e.file.size()));  // without the temporary folder
    }
    return out;
  }
};

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DaemonConfig, ShippedExampleParses) {
  Fixture f;
  std::string text = readFile(fs::path(SGEVENTD_SOURCE_DIR) / "examples/shotgunEventDaemon.conf");
  const std::string original = "paths: /usr/local/shotgun/plugins";
  ASSERT_NE(text.find(original), std::string::npos);
  text.replace(text.find(original), original.size(), "paths: plugins");
  // The example's [emails] is disabled, so its unset %(SG_ED_EMAIL_*)s references do not matter.
  const ConfigReport report = f.check(text);
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  const DaemonConfig& c = *report.config;
  EXPECT_EQ(c.pidFile, "/var/log/shotgunEventDaemon/shotgunEventDaemon.pid");
  EXPECT_EQ(c.eventIdFile, "/var/log/shotgunEventDaemon/shotgunEventDaemon.id");
  EXPECT_EQ(c.stateDatabase, "/var/log/shotgunEventDaemon/sgeventd.sqlite");
  EXPECT_EQ(c.logPath, "/var/log/shotgunEventDaemon");
  EXPECT_EQ(c.logFilePath, "/var/log/shotgunEventDaemon/shotgunEventDaemon");
  EXPECT_EQ(c.logMode, 1);
  EXPECT_EQ(c.logLevel, 20);
  EXPECT_FALSE(c.timingLog);
  EXPECT_EQ(c.connRetrySleep, std::chrono::seconds(60));
  EXPECT_EQ(c.maxConnRetries, 5);
  EXPECT_EQ(c.fetchInterval, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.maxEventBatchSize, 500);
  EXPECT_EQ(c.server, "https://studio.shotgrid.autodesk.com");
  EXPECT_EQ(c.scriptName, "eventDaemon");
  EXPECT_EQ(c.scriptKey, "s3cr%t");
  EXPECT_FALSE(c.proxyServer.has_value());
  EXPECT_TRUE(c.useSessionUuid);
  EXPECT_EQ(c.pluginPaths, std::vector<std::string>{"plugins"});
  EXPECT_EQ(c.resolvedPluginPaths, std::vector<std::string>{(f.dir.path() / "plugins").string()});
  EXPECT_FALSE(c.emails.enabled);
  EXPECT_TRUE(report.warnings.empty());
}

TEST(DaemonConfig, DefaultsOfOptionalKeys) {
  Fixture f;
  const ConfigReport report = f.check(minimal());
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  const DaemonConfig& c = *report.config;
  EXPECT_EQ(c.backlogTimeout, std::chrono::seconds(300));
  EXPECT_EQ(c.retry.attempts, 3);
  EXPECT_EQ(c.retry.backoffBase, std::chrono::milliseconds(1000));
  EXPECT_EQ(c.retry.backoffCap, std::chrono::milliseconds(60000));
  EXPECT_EQ(c.reactivateAfter, std::chrono::seconds(0));
  EXPECT_FALSE(c.strictOrder);
  EXPECT_EQ(c.queueSize, 1000);
  EXPECT_EQ(c.shutdownTimeout, std::chrono::milliseconds(30000));
  EXPECT_TRUE(c.verifyTls);
  EXPECT_FALSE(c.emails.enabled);
}

TEST(DaemonConfig, RelativePathsResolveAgainstTheConfigFolder) {
  Fixture f;
  const ConfigReport report = f.check(minimal("logPath: logs\n"));
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  const DaemonConfig& c = *report.config;
  const fs::path base = f.dir.path();
  EXPECT_EQ(c.sourceFile, (base / "shotgunEventDaemon.conf").string());
  EXPECT_EQ(c.pidFile, (base / "run/sgeventd.pid").string());
  EXPECT_EQ(c.eventIdFile, (base / "state/sg.id").string());
  EXPECT_EQ(c.stateDatabase, (base / "state/sgeventd.sqlite").string());
  EXPECT_EQ(c.logPath, (base / "logs").string());
  EXPECT_EQ(c.logFilePath, (base / "logs/sg.log").string());
}

TEST(DaemonConfig, KeyNamesAreCaseInsensitive) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("pidFile"), 7, "PIDFILE");
  text.replace(text.find("eventIdFile"), 11, "eventidfile");
  const ConfigReport report = f.check(text);
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_EQ(report.config->pidFile, (f.dir.path() / "run/sgeventd.pid").string());
}

TEST(DaemonConfig, EnvironmentDoesNotSetKeys) {
  Fixture f;  // kEnv has PORT, USERNAME and LOGPATH
  const ConfigReport report = f.check(minimal("",
                                              "[emails]\nenabled: true\nserver: smtp\nfrom: a@b\n"
                                              "to: c@d\nsubject: [SG]\n"));
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_EQ(report.config->emails.port, 25);
  EXPECT_FALSE(report.config->emails.username.has_value());
  EXPECT_FALSE(report.config->logPath.has_value());
}

TEST(DaemonConfig, FetchIntervalAcceptsFractions) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("fetch_interval: 5"), 17, "fetch_interval: 0.25");
  EXPECT_EQ(f.check(text).config->fetchInterval, std::chrono::milliseconds(250));
}

TEST(DaemonConfig, NewDaemonKeys) {
  Fixture f;
  const ConfigReport report = f.check(
      minimal("state_database: db/s.sqlite\nbacklog_timeout: 120\nretry_attempts: 5\nretry_backoff: 0.5\n"
              "retry_backoff_max: 30\nreactivate_after: 600\nstrict_order: yes\nqueue_size: 10\n"
              "shutdown_timeout: 2.5\nmax_event_batch_size: 100\ntiming_log: on\n",
              "[plugin:logArgs]\nretry_attempts: 1\nstop_on_error: false\n"
              "[plugin:other]\nreactivate_after: 10\n"));
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  const DaemonConfig& c = *report.config;
  EXPECT_EQ(c.stateDatabase, (f.dir.path() / "db/s.sqlite").string());
  EXPECT_EQ(c.backlogTimeout, std::chrono::seconds(120));
  EXPECT_EQ(c.retry.attempts, 5);
  EXPECT_EQ(c.retry.backoffBase, std::chrono::milliseconds(500));
  EXPECT_EQ(c.retry.backoffCap, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.reactivateAfter, std::chrono::seconds(600));
  EXPECT_TRUE(c.strictOrder);
  EXPECT_EQ(c.queueSize, 10);
  EXPECT_EQ(c.shutdownTimeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.maxEventBatchSize, 100);
  EXPECT_TRUE(c.timingLog);
  const PluginOverrides& logArgs = c.pluginOverrides.at("logArgs");
  ASSERT_TRUE(logArgs.retry.has_value());
  EXPECT_EQ(logArgs.retry->attempts, 1);
  EXPECT_EQ(logArgs.retry->backoffBase, std::chrono::milliseconds(500)) << "inherits the daemon's value";
  EXPECT_EQ(logArgs.stopOnError, false);
  EXPECT_FALSE(c.pluginOverrides.at("other").retry.has_value());
  EXPECT_EQ(c.pluginOverrides.at("other").reactivateAfter, std::chrono::seconds(10));
}

TEST(DaemonConfig, ShotgunAdditions) {
  Fixture f;
  f.dir.write("ca.pem", "x");
  const ConfigReport report = f.check(minimal() + "[shotgun]\n");  // a duplicate section: an error
  EXPECT_FALSE(report.errors.empty());
  std::string text = minimal();
  text.replace(text.find("use_session_uuid"), 0,
               "ca_certs: ca.pem\nverify_tls: off\nconnect_timeout: 2\nrequest_timeout: 7.5\nproxy_server:  "
               "http://proxy:3128  \n");
  const ConfigReport ok = f.check(text);
  ASSERT_TRUE(ok.errors.empty()) << ok.errors.front().describe();
  EXPECT_EQ(ok.config->caCerts, (f.dir.path() / "ca.pem").string());
  EXPECT_FALSE(ok.config->verifyTls);
  EXPECT_EQ(ok.config->connectTimeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(ok.config->requestTimeout, std::chrono::milliseconds(7500));
  EXPECT_EQ(ok.config->proxyServer, "http://proxy:3128");
  EXPECT_EQ(ok.warnings.size(), 1U) << "verify_tls off is worth a warning";
}

TEST(DaemonConfig, PluginPathsToleratesTrailingCommaAndBlanks) {
  Fixture f;
  fs::create_directory(f.dir.path() / "more");
  std::string text = minimal();
  text.replace(text.find("paths: plugins"), 14, "paths: plugins , ,more,");
  const ConfigReport report = f.check(text);
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_EQ(report.config->pluginPaths, (std::vector<std::string>{"plugins", "more"}));
}

TEST(DaemonConfig, DuplicatePluginPathIsLoadedOnceWithAWarning) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("paths: plugins"), 14, "paths: plugins, ./plugins");
  const ConfigReport report = f.check(text);
  ASSERT_TRUE(report.errors.empty());
  EXPECT_EQ(report.config->pluginPaths.size(), 1U);
  ASSERT_EQ(report.warnings.size(), 1U);
  EXPECT_NE(report.warnings[0].message.find("listed twice"), std::string::npos);
}

// Issue 8, item 10: "plugins/" made a new state key next to "plugins" (a fresh start for every plugin).
// Trailing slashes are dropped from the entry as written, so both spell the same collection.
TEST(DaemonConfig, TrailingSlashInPluginPathsKeysTheSameState) {
  Fixture f;
  const std::string absolute = (f.dir.path() / "plugins").string();
  std::string text = minimal();
  text.replace(text.find("paths: plugins"), 14, "paths: plugins/, " + absolute + "//");
  const ConfigReport report = f.check(text);
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_EQ(report.config->pluginPaths, (std::vector<std::string>{"plugins"}));
  EXPECT_EQ(report.config->resolvedPluginPaths, (std::vector<std::string>{absolute}));
  ASSERT_EQ(report.warnings.size(), 1U);
  EXPECT_NE(report.warnings[0].message.find("listed twice"), std::string::npos);

  std::string single = minimal();
  single.replace(single.find("paths: plugins"), 14, "paths: " + absolute + "/");
  const ConfigReport alone = f.check(single);
  ASSERT_TRUE(alone.errors.empty());
  EXPECT_EQ(alone.config->pluginPaths, (std::vector<std::string>{absolute}));
}

TEST(DaemonConfig, EmailsEnabledDefaultsToWhetherEverythingIsSet) {
  Fixture f;
  const std::string full = "[emails]\nserver: smtp\nfrom: a@b\nto: c@d, e@f ,\nsubject: [SG]\n";
  const ConfigReport legacy = f.check(minimal("", full));
  ASSERT_TRUE(legacy.errors.empty()) << legacy.errors.front().describe();
  EXPECT_TRUE(legacy.config->emails.enabled);
  EXPECT_EQ(legacy.config->emails.to, (std::vector<std::string>{"c@d", "e@f"}));
  EXPECT_EQ(legacy.warnings.size(), 1U) << "a missing enabled key is pointed out";
  const ConfigReport partial = f.check(minimal("", "[emails]\nserver: smtp\n"));
  ASSERT_TRUE(partial.errors.empty());
  EXPECT_FALSE(partial.config->emails.enabled);
  const ConfigReport off = f.check(minimal("", "[emails]\nenabled: no\nusername: %(UNSET_VAR)s\n"));
  ASSERT_TRUE(off.errors.empty()) << "keys of disabled email are not read";
}

TEST(DaemonConfig, RetryOnDefaultsToTransient) {
  Fixture f;
  const ConfigReport report = f.check(minimal());
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_EQ(report.config->retry.retryOn, RetryOn::Transient);
}

TEST(DaemonConfig, RetryOnInDaemonAndPluginSections) {
  Fixture f;
  const ConfigReport report = f.check(minimal("retry_on: ANY\nretry_attempts: 4\n",
                                              "[plugin:careful]\nretry_on: never\n"
                                              "[plugin:eager]\nretry_attempts: 9\n"
                                              "[plugin:plain]\nreactivate_after: 5\n"));
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  const DaemonConfig& c = *report.config;
  EXPECT_EQ(c.retry.retryOn, RetryOn::Any) << "any case, as every choice";
  const PluginOverrides& careful = c.pluginOverrides.at("careful");
  ASSERT_TRUE(careful.retry.has_value()) << "retry_on alone overrides the retry settings";
  EXPECT_EQ(careful.retry->retryOn, RetryOn::Never);
  EXPECT_EQ(careful.retry->attempts, 4) << "the other retry keys keep the daemon's values";
  const PluginOverrides& eager = c.pluginOverrides.at("eager");
  ASSERT_TRUE(eager.retry.has_value());
  EXPECT_EQ(eager.retry->retryOn, RetryOn::Any) << "inherits the daemon's retry_on";
  EXPECT_FALSE(c.pluginOverrides.at("plain").retry.has_value());
  EXPECT_EQ(retryOnName(RetryOn::Transient), "transient");
}

TEST(DaemonConfig, DaemonQueueSizeIsTheReadAhead) {
  Fixture f;
  const ConfigReport report = f.check(minimal("queue_size: 2500\n"));
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_EQ(report.config->queueSize, 2500);
  EXPECT_TRUE(report.warnings.empty());
  for (const auto& key : keyReference()) {
    if (key.section == "daemon" && key.name == "queue_size") {
      EXPECT_NE(key.description.find("reads ahead of the fastest plugin"), std::string_view::npos);
    }
  }
}

TEST(DaemonConfig, PluginQueueSizeIsAWarningAndNotStored) {
  Fixture f;
  // Not even read: an unset reference in a key that means nothing here is no error.
  const ConfigReport report =
      f.check(minimal("", "[plugin:logArgs]\nstop_on_error: false\nqueue_size: %(UNSET_VAR)s\n"));
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  ASSERT_EQ(report.warnings.size(), 1U);
  const ConfigError& w = report.warnings[0];
  EXPECT_EQ(w.describe().substr(w.file.size()),
            ":21: queue_size: is daemon-wide (how far the fetcher reads ahead of the fastest plugin) and "
            "has no per-plugin meaning; set it in [daemon] (ignored)");
  EXPECT_EQ(report.config->pluginOverrides.at("logArgs"), PluginOverrides{.stopOnError = false});
  EXPECT_EQ(report.config->queueSize, 1000);
}

// The key tables are the reference: every documented default is what the loader gives a file without
// the key, and the documentation and the example name every key.
TEST(DaemonConfigKeyTable, DocumentedDefaultsAreTheDefaults) {
  ConfigReport report;
  const DaemonConfig pristine;
  const std::filesystem::path base = "/base";
  auto check = [&](const auto& keys, const auto& empty, const std::string& section) {
    for (const auto& key : keys) {
      if (key.defaultValue.empty() || key.store == nullptr) {
        continue;
      }
      auto value = parseValue(key.parser, std::string(key.defaultValue));
      ASSERT_TRUE(value) << section << " " << key.name << ": " << value.error();
      auto target = empty;
      key.store(*value, target, KeyContext("f.conf", 1, key.name, base, pristine, report));
      EXPECT_TRUE(target == empty) << "[" << section << "] " << key.name << ": " << key.defaultValue
                                   << " is not the default";
    }
  };
  check(daemonKeys(), DaemonConfig{}, "daemon");
  check(shotgunKeys(), DaemonConfig{}, "shotgun");
  check(pluginsKeys(), DaemonConfig{}, "plugins");
  check(emailsKeys(), EmailSettings{}, "emails");
  check(pluginOverrideKeys(), PluginOverrides{}, "plugin:NAME");
  check(isolationKeys(), IsolationSettings{}, "isolation");
  EXPECT_TRUE(report.errors.empty());
  EXPECT_TRUE(report.warnings.empty());
}

TEST(DaemonConfigKeyTable, EveryKeyIsDocumentedAndInTheExample) {
  const std::string docs = readFile(fs::path(SGEVENTD_SOURCE_DIR) / "docs/configuration.md");
  const std::string example = readFile(fs::path(SGEVENTD_SOURCE_DIR) / "examples/shotgunEventDaemon.conf");
  ASSERT_FALSE(docs.empty());
  ASSERT_FALSE(example.empty());
  for (const auto& key : keyReference()) {
    const std::string section = key.section == "plugin:NAME" ? "[plugin:NAME]" : "[" + key.section + "]";
    const auto sectionAt = docs.find("### " + section);
    ASSERT_NE(sectionAt, std::string::npos) << section;
    const auto nextSection = docs.find("\n### ", sectionAt + 1);
    const std::string part = docs.substr(sectionAt, nextSection - sectionAt);
    EXPECT_NE(part.find("`" + std::string(key.name) + "`"), std::string::npos)
        << key.name << " is not documented under " << section;
    EXPECT_NE(example.find(std::string(key.name) + ":"), std::string::npos)
        << key.name << " is not in the example";
  }
}

// One test per error message of the typed config.
TEST(DaemonConfigErrors, MissingSection) {
  Fixture f;
  std::string text = minimal();
  text = text.substr(0, text.find("[plugins]"));
  EXPECT_EQ(f.errors(text), std::vector<std::string>{": section [plugins] is missing"});
}

TEST(DaemonConfigErrors, MissingRequiredKey) {
  Fixture f;
  std::string text = minimal();
  text.erase(text.find("logging: 20\n"), 12);
  EXPECT_EQ(f.errors(text), std::vector<std::string>{": logging: required key is missing from [daemon]"});
}

TEST(DaemonConfigErrors, NotANumberNamesFileLineAndKey) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("fetch_interval: 5"), 17, "fetch_interval: abc");
  EXPECT_EQ(f.errors(text), std::vector<std::string>{":9: fetch_interval: \"abc\" is not a number"});
}

TEST(DaemonConfigErrors, FractionWhereAnIntegerIsNeeded) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("max_conn_retries: 5"), 19, "max_conn_retries: 0.5");
  EXPECT_EQ(f.errors(text), std::vector<std::string>{":8: max_conn_retries: \"0.5\" is not a whole number"});
}

TEST(DaemonConfigErrors, OutOfRange) {
  Fixture f;
  EXPECT_EQ(f.errors(minimal("queue_size: 0\n")),
            std::vector<std::string>{":10: queue_size: \"0\" is out of range (1 to 2147483647)"});
}

TEST(DaemonConfigErrors, AWholeNumberTooBigForAnyIntegerIsOutOfRange) {
  Fixture f;
  EXPECT_EQ(f.errors(minimal("queue_size: 12345678901234567890123\n")),
            std::vector<std::string>{
                ":10: queue_size: \"12345678901234567890123\" is out of range (1 to 2147483647)"});
}

TEST(DaemonConfigErrors, ANulByteIsShownAndDoesNotCutTheMessageShort) {
  Fixture f;
  const auto errors = f.errors(minimal(std::string("queue_size: 1\0x\n", 16)));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], ":10: queue_size: \"1\\x00x\" is not an integer");
  EXPECT_EQ(std::string(errors[0].c_str()), errors[0]) << "no NUL left in the message";
}

TEST(DaemonConfigErrors, RetryOnNamesTheAllowedValues) {
  Fixture f;
  EXPECT_EQ(f.errors(minimal("retry_on: sometimes\n", "[plugin:x]\nretry_on: 1\n")),
            (std::vector<std::string>{":10: retry_on: \"sometimes\" is not transient, any or never",
                                      ":21: retry_on: \"1\" is not transient, any or never"}));
}

TEST(DaemonConfigErrors, NotABoolean) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("use_session_uuid: false"), 23, "use_session_uuid: sometimes");
  EXPECT_EQ(f.errors(text), std::vector<std::string>{":15: use_session_uuid: \"sometimes\" is not a boolean "
                                                     "(use 1/yes/true/on or 0/no/false/off)"});
}

TEST(DaemonConfigErrors, MissingPluginFolderNamesTheLine) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("paths: plugins"), 14, "paths: plugins, nowhere");
  EXPECT_EQ(f.errors(text),
            std::vector<std::string>{":18: paths: plugin folder \"" + (f.dir.path() / "nowhere").string() +
                                     "\" does not exist"});
}

TEST(DaemonConfigErrors, PluginPathThatIsAFile) {
  Fixture f;
  f.dir.write("file.txt", "");
  std::string text = minimal();
  text.replace(text.find("paths: plugins"), 14, "paths: file.txt");
  EXPECT_EQ(f.errors(text),
            std::vector<std::string>{":18: paths: plugin folder \"" + (f.dir.path() / "file.txt").string() +
                                     "\" is not a folder"});
}

TEST(DaemonConfigErrors, EmptyPathsList) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("paths: plugins"), 14, "paths: , ");
  EXPECT_EQ(f.errors(text), std::vector<std::string>{":18: paths: lists no plugin folder"});
}

TEST(DaemonConfigErrors, LogPathThatIsAFile) {
  Fixture f;
  f.dir.write("logfile", "");
  EXPECT_EQ(f.errors(minimal("logPath: logfile\n")),
            std::vector<std::string>{":10: logPath: \"" + (f.dir.path() / "logfile").string() +
                                     "\" exists and is not a folder"});
}

TEST(DaemonConfigErrors, ServerMustBeAUrl) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("server: %(SG_ED_SITE_URL)s"), 26, "server: studio.example.com");
  EXPECT_EQ(f.errors(text), std::vector<std::string>{
                                ":12: server: \"studio.example.com\" is not an http:// or https:// URL"});
}

TEST(DaemonConfigErrors, EmptyRequiredValue) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("name: %(SG_ED_SCRIPT_NAME)s"), 27, "name:");
  EXPECT_EQ(f.errors(text), std::vector<std::string>{":13: name: is empty"});
}

TEST(DaemonConfigErrors, EmailsEnabledNeedsItsKeys) {
  Fixture f;
  EXPECT_EQ(f.errors(minimal("", "[emails]\nenabled: true\nserver: smtp\nfrom: a@b\nto: c@d\n")),
            std::vector<std::string>{": subject: required key is missing from [emails]"});
}

TEST(DaemonConfigErrors, PluginSectionWithoutName) {
  Fixture f;
  EXPECT_EQ(f.errors(minimal("", "[plugin:]\n")),
            std::vector<std::string>{": section [plugin:] names no plugin (write [plugin:NAME])"});
}

TEST(DaemonConfigErrors, MissingCaCerts) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("use_session_uuid"), 0, "ca_certs: none.pem\n");
  EXPECT_EQ(f.errors(text),
            std::vector<std::string>{":15: ca_certs: \"" + (f.dir.path() / "none.pem").string() +
                                     "\" does not exist"});
}

TEST(DaemonConfigErrors, InterpolationErrorNamesLineAndKey) {
  Fixture f;
  std::string text = minimal();
  text.replace(text.find("%(SG_ED_API_KEY)s"), 17, "%(SG_ED_MISSING)s");
  const auto errors = f.errors(text);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].rfind(":14: key: %(SG_ED_MISSING)s refers to", 0), 0U) << errors[0];
}

TEST(DaemonConfigErrors, AllErrorsAreCollected) {
  Fixture f;
  std::string text = minimal("queue_size: -1\nstrict_order: perhaps\n");
  text.replace(text.find("fetch_interval: 5"), 17, "fetch_interval: x");
  EXPECT_EQ(f.errors(text).size(), 3U);
}

TEST(DaemonConfigErrors, UnknownKeysAreWarningsNotErrors) {
  Fixture f;
  const ConfigReport report =
      f.check(minimal("legacy_option: 1\n", "[plugin:x]\nfoo: bar\n[custom]\nany: thing\n"));
  ASSERT_TRUE(report.errors.empty());
  ASSERT_EQ(report.warnings.size(), 2U);
  EXPECT_EQ(report.warnings[0].describe().substr(report.warnings[0].file.size()),
            ":10: legacy_option: unknown key in [daemon] (ignored)");
  EXPECT_EQ(report.config->warnings.size(), 2U);
}

TEST(DaemonConfigErrors, LoadReturnsTheErrors) {
  Fixture f;
  auto loaded = loadDaemonConfig((f.dir.path() / "missing.conf").string(), kEnv);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().size(), 1U);
}

// Issue 8, item 9: 0 polled the site in a tight loop; the floor is 0.1 s, and 0.1 itself is fine.
TEST(DaemonConfigErrors, FetchIntervalBelowTheFloorNamesLineAndFloor) {
  Fixture f;
  for (const std::string value : {"0", "0.0", "0.05"}) {
    std::string text = minimal();
    text.replace(text.find("fetch_interval: 5"), 17, "fetch_interval: " + value);
    EXPECT_EQ(f.errors(text), std::vector<std::string>{":9: fetch_interval: \"" + value +
                                                       "\" is below the floor of 0.1 seconds (a shorter "
                                                       "pause polls the site without rest)"});
  }
  std::string text = minimal();
  text.replace(text.find("fetch_interval: 5"), 17, "fetch_interval: 0.1");
  EXPECT_TRUE(f.errors(text).empty());
}

// Issue 8, item 9: "logging: 99" silenced every log. Python's setLevel() takes any int, but only 0 to 50
// (CRITICAL) can be meant.
TEST(DaemonConfigErrors, LoggingLevelOutsideZeroToFiftyListsTheLevels) {
  Fixture f;
  for (const std::string value : {"99", "51", "-1"}) {
    std::string text = minimal();
    text.replace(text.find("logging: 20"), 11, "logging: " + value);
    EXPECT_EQ(f.errors(text), std::vector<std::string>{":6: logging: \"" + value +
                                                       "\" is not a logging level: use 0 to 50, e.g. 10 "
                                                       "(DEBUG), 20 (INFO), 30 (WARNING), 40 (ERROR) or 50 "
                                                       "(CRITICAL); above 50 nothing would be logged"});
  }
  for (const std::string value : {"0", "10", "25", "50"}) {
    std::string text = minimal();
    text.replace(text.find("logging: 20"), 11, "logging: " + value);
    EXPECT_TRUE(f.errors(text).empty()) << value;
  }
}

}  // namespace
// The isolation keys: [daemon] gives every plugin's default, [plugin:NAME] overrides key by key.
TEST(DaemonConfigIsolation, DaemonDefaultsAndPluginOverrides) {
  Fixture f;
  const ConfigReport report =
      f.check(minimal("isolation: process\nworker_memory_limit: 1G\ncallback_timeout: 2.5\n",
                      "[plugin:a]\nworker_group: small\nworker_max_events: 1000\n"
                      "[plugin:b]\nisolation: thread\non_crash: isolate\ncallback_timeout: 0\n"
                      "[plugin:c]\nstop_on_error: false\n"));
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_TRUE(report.warnings.empty()) << report.warnings.front().describe();
  const auto& c = *report.config;
  EXPECT_TRUE(c.isolation.process);
  EXPECT_EQ(c.isolation.memoryLimit, std::int64_t{1} << 30);
  EXPECT_EQ(c.isolation.callbackTimeout, std::chrono::milliseconds(2500));
  const auto& a = *c.pluginOverrides.at("a").isolation;
  EXPECT_TRUE(a.process);  // from [daemon]
  EXPECT_EQ(a.workerGroup, "small");
  EXPECT_EQ(a.maxEvents, 1000);
  EXPECT_EQ(a.memoryLimit, std::int64_t{1} << 30);
  const auto& b = *c.pluginOverrides.at("b").isolation;
  EXPECT_FALSE(b.process);
  EXPECT_TRUE(b.isolateOnCrash);
  EXPECT_FALSE(b.callbackTimeout) << "0 turns the [daemon] timeout off for this plugin";
  EXPECT_FALSE(c.pluginOverrides.at("c").isolation) << "a section without isolation keys keeps [daemon]'s";
}

TEST(DaemonConfigIsolation, BadValuesNameTheLine) {
  Fixture f;
  EXPECT_EQ(
      f.errors(minimal("worker_memory_limit: lots\n")),
      std::vector<std::string>{":10: worker_memory_limit: \"lots\" is not a size (write bytes, or a number "
                               "followed by K, M or G)"});
  EXPECT_EQ(
      f.errors(minimal("worker_memory_limit: 64M\n")),
      std::vector<std::string>{":10: worker_memory_limit: \"64M\" is below the floor of 128M (an idle worker "
                               "maps about 60M)"});
  EXPECT_EQ(f.errors(minimal("", "[plugin:a]\nisolation: container\n")).size(), 1u);
  EXPECT_EQ(f.errors(minimal("worker_memory_limit: 99999999999999999G\n")).size(), 1u);
  EXPECT_EQ(parseByteSize("512k").value_or(0), 512 * 1024);
  EXPECT_EQ(parseByteSize("2G").value_or(0), std::int64_t{2} << 30);
  EXPECT_EQ(parseByteSize("1048576").value_or(0), 1048576);
  EXPECT_FALSE(parseByteSize("2 G"));
  EXPECT_FALSE(parseByteSize("G"));
  EXPECT_FALSE(parseByteSize("-1"));
}

}  // namespace sgeventd::config
