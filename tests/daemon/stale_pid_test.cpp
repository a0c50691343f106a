// `sgeventd start` over a pid file left by a dead process: the file is replaced and the log says so (the
// line was promised but never written, since the pid file was taken before the log files opened).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../support/wait.h"
#include "process.h"
#include "sim_fixture.h"

using namespace std::chrono_literals;
using sgeventd::testing::preparePluginDir;
using sgeventd::testing::runCommand;
using sgeventd::testing::SimProcess;
using sgeventd::testing::slurp;
using sgeventd::testing::waitUntil;
namespace fs = std::filesystem;

namespace {

TEST(StalePidFile, StartReplacesItAndTheLogSaysSo) {
  const fs::path dir = fs::temp_directory_path() / ("sgeventd-stalepid-" + std::to_string(::getpid()));
  preparePluginDir(dir);
  SimProcess sim;
  ASSERT_NO_FATAL_FAILURE(sim.start(dir));
  const auto conf = (dir / "shotgunEventDaemon.conf").string();
  std::ofstream(conf)
      << "[daemon]\npidFile: " << (dir / "sgeventd.pid").string()
      << "\neventIdFile: shotgunEventDaemon.id\nstate_database: " << (dir / "state.sqlite").string()
      << "\nlogMode: 1\nlogPath: " << (dir / "logs").string()
      << "\nlogFile: shotgunEventDaemon\nlogging: 20\nconn_retry_sleep: 1\nmax_conn_retries: 3\n"
         "fetch_interval: 0.5\nshutdown_timeout: 5\n"
         "[shotgun]\nserver: http://127.0.0.1:"
      << sim.port()
      << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\n"
         "[plugins]\npaths: "
      << (dir / "plugins").string() << "\n[emails]\nenabled: False\n";
  // A pid that is certainly dead: a child that has exited and been reaped.
  const pid_t dead = ::fork();
  if (dead == 0) {
    ::_exit(0);
  }
  ASSERT_GT(dead, 0);
  ::waitpid(dead, nullptr, 0);
  std::ofstream(dir / "sgeventd.pid") << dead << "\n";

  std::string output;
  ASSERT_EQ(runCommand({SGEVENTD_BINARY, "-c", conf, "start"}, output, 30s), 0) << output;
  EXPECT_NE(output.find("replacing stale pid file " + (dir / "sgeventd.pid").string() + " (pid " +
                        std::to_string(dead) + " is not a running sgeventd)"),
            std::string::npos)
      << output;
  const auto log = [&] { return slurp(dir / "logs/shotgunEventDaemon"); };
  EXPECT_TRUE(waitUntil([&] { return log().find("removing stale pid file") != std::string::npos; }, 10s))
      << log();
  EXPECT_NE(log().find("(pid " + std::to_string(dead) + " is not a running sgeventd)"), std::string::npos)
      << log();
  ASSERT_EQ(runCommand({SGEVENTD_BINARY, "-c", conf, "stop"}, output, 30s), 0) << output;
  sim.stop();
  fs::remove_all(dir);
}

}  // namespace
