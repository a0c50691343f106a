// SIGTERM while the site accepts the connection and never answers: the request in flight is abandoned at
// once instead of holding the stop for the whole request_timeout (the real binary against a silent port).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "../support/silent_server.h"
#include "../support/wait.h"
#include "process.h"
#include "sim_fixture.h"

using namespace std::chrono_literals;
using sgeventd::testing::preparePluginDir;
using sgeventd::testing::Process;
using sgeventd::testing::SilentServer;
using sgeventd::testing::slurp;
using sgeventd::testing::waitUntil;
namespace fs = std::filesystem;

namespace {

constexpr int kShutdownTimeoutS = 5;

TEST(SilentSiteTest, SigtermAbandonsTheRequestTheSiteNeverAnswers) {
  const fs::path dir = fs::temp_directory_path() / ("sgeventd-silent-" + std::to_string(::getpid()));
  preparePluginDir(dir);
  SilentServer site;
  // request_timeout far beyond shutdown_timeout: only an abandoned request lets the stop end cleanly.
  std::ofstream(dir / "shotgunEventDaemon.conf")
      << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: state.sqlite\n"
         "logMode: 1\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 20\nconn_retry_sleep: 1\n"
         "max_conn_retries: 3\nfetch_interval: 0.5\nshutdown_timeout: "
      << kShutdownTimeoutS << "\n[shotgun]\nserver: http://127.0.0.1:" << site.port()
      << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\nrequest_timeout: 300\n"
         "[plugins]\npaths: plugins\n[emails]\nenabled: False\n";
  const auto log = [&] { return slurp(dir / "logs/shotgunEventDaemon") + slurp(dir / "daemon.stderr"); };

  Process daemon({SGEVENTD_BINARY, "-c", (dir / "shotgunEventDaemon.conf").string(), "foreground"},
                 {{"SGEVENTD_COUNT_FILE", (dir / "count.txt").string()}}, (dir / "daemon.stderr").string());
  ASSERT_TRUE(waitUntil([&] { return site.requestsSeen() >= 1; }, 20s))
      << "the daemon never sent the site a request:\n"
      << log();
  ASSERT_FALSE(daemon.wait(0ms)) << "the daemon exited on its own:\n" << log();

  daemon.signal(SIGTERM);
  // The watchdog would end a stuck stop at shutdown_timeout with an error; a clean exit within it means the
  // request was abandoned.
  const auto code = daemon.wait(std::chrono::seconds(kShutdownTimeoutS));
  ASSERT_TRUE(code) << "the daemon was still running shutdown_timeout after SIGTERM:\n" << log();
  EXPECT_EQ(*code, 0) << log();
  const auto text = log();
  EXPECT_NE(text.find("Stopped before the site answered."), std::string::npos) << text;
  EXPECT_EQ(text.find("did not finish within"), std::string::npos) << text;
  fs::remove_all(dir);
}

}  // namespace
