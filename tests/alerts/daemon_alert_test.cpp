// The real daemon against `sgeventd sim` and a real SMTP server: a failing Python plugin's traceback
// arrives by mail to the recipients it set, a plugin that cannot load is mailed to the config's, and
// a plugin that turned its mails off sends none.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>

#include "../daemon/process.h"
#include "../daemon/sim_fixture.h"
#include "../support/temp_dir.h"
#include "../support/wait.h"
#include "support.h"

using namespace std::chrono_literals;
using nlohmann::json;
using sgeventd::alerts::testing::bodyOf;
using sgeventd::alerts::testing::headerOf;
using sgeventd::alerts::testing::SmtpServer;
using sgeventd::testing::Process;
using sgeventd::testing::SimProcess;
using sgeventd::testing::waitUntil;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

}  // namespace

TEST(DaemonEmailAlerts, AFailingPythonPluginsTracebackArrivesByMail) {
  sgeventd::testing::TempDir dir;
  SmtpServer smtp(dir.path() / "smtp");
  ASSERT_GT(smtp.port(), 0) << smtp.stderrText();
  SimProcess sim;
  ASSERT_NO_FATAL_FAILURE(sim.start(dir.path()));
  fs::create_directories(dir.path() / "plugins");
  write(dir.path() / "plugins/fail_plugin.py",
        "def registerCallbacks(reg):\n"
        "    reg.setEmails('team@example.com')\n"
        "    reg.registerCallback('sgeventd', 'sim-key', boom, {'*': None}, None)\n"
        "def boom(sg, logger, event, args):\n"
        "    raise RuntimeError('boom at event %d' % event['id'])\n");
  write(dir.path() / "plugins/quiet_plugin.py",
        "def registerCallbacks(reg):\n"
        "    reg.setEmails(False)\n"
        "    reg.registerCallback('sgeventd', 'sim-key', hush, {'*': None}, None)\n"
        "def hush(sg, logger, event, args):\n"
        "    raise RuntimeError('quiet failure')\n");
  write(dir.path() / "plugins/broken_plugin.py", "def registerCallbacks(reg)\n    pass\n");
  const auto config = dir.path() / "shotgunEventDaemon.conf";
  write(config,
        "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
        "state.sqlite\nlogMode: 1\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 20\n"
        "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.1\nmax_event_batch_size: 50\n"
        "backlog_timeout: 120\nretry_attempts: 1\nshutdown_timeout: 20\n"
        "[shotgun]\nserver: http://127.0.0.1:" +
            std::to_string(sim.port()) +
            "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\nrequest_timeout: 5\n"
            "[plugins]\npaths: plugins\n[admin]\nlisten:\n"
            "[emails]\nenabled: true\nserver: 127.0.0.1\nport: " +
            std::to_string(smtp.port()) +
            "\nfrom: sgeventd@example.com\nto: ops@example.com\nsubject: [SG]\n");
  Process daemon({SGEVENTD_BINARY, "-c", config.string(), "foreground"}, {},
                 (dir.path() / "daemon.stderr").string());
  const auto mainLog = dir.path() / "logs/shotgunEventDaemon";
  // Both plugins have their place before the events come (a first start begins after the newest event).
  ASSERT_TRUE(waitUntil([&] {
    const auto text = sgeventd::alerts::testing::slurp(mainLog);
    return text.find("Plugin fail_plugin has no saved position") != std::string::npos &&
           text.find("Plugin quiet_plugin has no saved position") != std::string::npos;
  })) << sgeventd::alerts::testing::slurp(dir.path() / "daemon.stderr");
  sim.post("/sim/events", {{"count", 3}});

  auto find = [&](const std::string& recipient, const std::string& needle) -> std::optional<json> {
    for (const auto& m : smtp.messages()) {
      if (m["rcpt_tos"] == json::array({recipient}) &&
          m["data"].get<std::string>().find(needle) != std::string::npos) {
        return m;
      }
    }
    return std::nullopt;
  };
  ASSERT_TRUE(waitUntil([&] { return find("team@example.com", "boom at event").has_value(); }, 60s))
      << sgeventd::alerts::testing::slurp(mainLog);
  const auto traceback = *find("team@example.com", "boom at event");
  const std::string data = traceback["data"];
  EXPECT_EQ(traceback["mail_from"], "sgeventd@example.com");
  EXPECT_EQ(headerOf(data, "Subject").rfind("[SG] CRITICAL - SG event daemon on ", 0), 0u)
      << headerOf(data, "Subject");
  const std::string body = bodyOf(data);
  EXPECT_NE(body.find("\nLogger: plugin.fail_plugin.boom\nPath: "), std::string::npos) << body;
  EXPECT_EQ(body.find("Line: 0\n"), std::string::npos) << body;  // the Python record's own line
  EXPECT_NE(body.find("Traceback (most recent call last):"), std::string::npos) << body;
  EXPECT_NE(body.find("RuntimeError: boom at event"), std::string::npos) << body;

  // The plugin that cannot be imported goes to the config's recipients.
  ASSERT_TRUE(waitUntil([&] { return find("ops@example.com", "broken_plugin").has_value(); }, 30s));
  const std::string loadBody = bodyOf((*find("ops@example.com", "broken_plugin"))["data"]);
  EXPECT_NE(loadBody.find("SyntaxError"), std::string::npos) << loadBody;

  // The quiet plugin fails too (its log says so); after the stop, which sends what was queued, no mail
  // mentions it.
  EXPECT_TRUE(waitUntil(
      [&] {
        return sgeventd::alerts::testing::slurp(dir.path() / "logs/plugin.quiet_plugin")
                   .find("quiet failure") != std::string::npos;
      },
      30s));
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(30s).value_or(-1), 0);
  for (const auto& m : smtp.messages()) {
    EXPECT_EQ(m["data"].get<std::string>().find("quiet failure"), std::string::npos) << m["data"];
  }
  sim.stop();
}
