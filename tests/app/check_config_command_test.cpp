// `sgeventd check-config` end to end: runs the built binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace sgeventd::app {
namespace {

namespace fs = std::filesystem;

struct BinaryRun {
  int exitCode;
  std::string output;
};

BinaryRun runBinary(const std::string& args) {
  const std::string command = std::string(SGEVENTD_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  BinaryRun run{-1, ""};
  if (pipe == nullptr) {
    return run;
  }
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    run.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

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

}  // namespace
}  // namespace sgeventd::app
