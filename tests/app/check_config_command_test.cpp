// `sgeventd check-config` end to end: runs the built binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "run_binary.h"

namespace sgeventd::app {
namespace {

namespace fs = std::filesystem;

using testing::BinaryRun;
using testing::runBinary;

struct Dir {
  fs::path path;
  Dir() {
    std::string pattern = (fs::temp_directory_path() / "sgeventd-check-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
    fs::create_directory(path / "plugins");
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& text) const {
    std::ofstream(path / "shotgunEventDaemon.conf") << text;
    return (path / "shotgunEventDaemon.conf").string();
  }
};

const char* kValid =
    "[daemon]\npidFile: sg.pid\neventIdFile: sg.id\nlogMode: 1\nlogFile: sg.log\nlogging: 20\n"
    "conn_retry_sleep: 60\nmax_conn_retries: 5\nfetch_interval: 5\nunknown_thing: 1\n"
    "[shotgun]\nserver: https://x.shotgrid.autodesk.com\nname: n\nkey: k\nuse_session_uuid: no\n"
    "[plugins]\npaths: plugins\n";

TEST(CheckConfigCommand, ValidFileExitsZeroWithWarnings) {
  Dir d;
  const std::string conf = d.write(kValid);
  const BinaryRun run = runBinary("check-config " + conf);
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_NE(run.output.find(conf + ":10: unknown_thing: warning: unknown key in [daemon] (ignored)"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(conf + ": OK (1 warning)"), std::string::npos) << run.output;
}

TEST(CheckConfigCommand, GlobalDashCIsUsed) {
  Dir d;
  const std::string conf = d.write(kValid);
  EXPECT_EQ(runBinary("-c " + conf + " check-config").exitCode, 0);
}

TEST(CheckConfigCommand, ErrorsExitOneAndAreAllListed) {
  Dir d;
  std::string text = kValid;
  text.replace(text.find("fetch_interval: 5"), 17, "fetch_interval: abc");
  text.replace(text.find("logging: 20"), 11, "logging: loud");
  const std::string conf = d.write(text);
  const BinaryRun run = runBinary("check-config " + conf);
  EXPECT_EQ(run.exitCode, 1);
  EXPECT_NE(run.output.find(conf + ":9: fetch_interval: \"abc\" is not a number"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(conf + ":6: logging: \"loud\" is not an integer"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("invalid (2 errors, 1 warning)"), std::string::npos) << run.output;
}

TEST(CheckConfigCommand, MissingFileExitsOne) {
  const BinaryRun run = runBinary("check-config /nonexistent/sgeventd.conf");
  EXPECT_EQ(run.exitCode, 1);
  EXPECT_NE(run.output.find("does not exist"), std::string::npos) << run.output;
}

// Issue 8, item 10: the file named to check-config was said to be "given with -c", and a folder given
// to -c was said not to exist.
TEST(CheckConfigCommand, MessagesNameWhereThePathCameFromAndWhatItIs) {
  Dir d;
  const BinaryRun argument = runBinary("check-config " + (d.path / "none.conf").string());
  EXPECT_EQ(argument.exitCode, 1);
  EXPECT_EQ(argument.output,
            "config file " + (d.path / "none.conf").string() + " (given to check-config) does not exist\n");
  const BinaryRun folder = runBinary("-c " + d.path.string() + " check-config");
  EXPECT_EQ(folder.exitCode, 1);
  EXPECT_EQ(folder.output,
            "config file " + d.path.string() + " (given with -c) is a directory, not a config file\n");
}

}  // namespace
}  // namespace sgeventd::app
