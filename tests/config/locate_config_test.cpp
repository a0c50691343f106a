#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/daemon_config.h"

namespace sgeventd::config {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path;
  Dir() {
    std::string pattern = (fs::temp_directory_path() / "sgeventd-locate-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

TEST(LocateConfig, CommandLineWins) {
  Dir d;
  std::ofstream(d.path / "a.conf") << "";
  const Environment env = {{"SGEVENTD_CONFIG", "/nonexistent.conf"}};
  EXPECT_EQ(*locateConfig((d.path / "a.conf").string(), env, "sgeventd"), (d.path / "a.conf").string());
}

TEST(LocateConfig, MissingCommandLineFileIsAnError) {
  auto found = locateConfig(std::string("/nonexistent/x.conf"), {}, "sgeventd");
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error(), "config file /nonexistent/x.conf (given with -c) does not exist");
}

// Issue 8, item 10: a folder given to -c was reported as "does not exist".
TEST(LocateConfig, DirectoryIsReportedAsADirectory) {
  Dir d;
  auto viaDashC = locateConfig(d.path.string(), {}, "sgeventd");
  ASSERT_FALSE(viaDashC.has_value());
  EXPECT_EQ(viaDashC.error(),
            "config file " + d.path.string() + " (given with -c) is a directory, not a config file");
  auto viaEnv = locateConfig(std::nullopt, {{"SGEVENTD_CONFIG", d.path.string()}}, "sgeventd");
  ASSERT_FALSE(viaEnv.has_value());
  EXPECT_EQ(viaEnv.error(),
            "config file " + d.path.string() + " (from $SGEVENTD_CONFIG) is a directory, not a config file");
}

// Issue 8, item 10: `check-config FILE` said "(given with -c)"; the caller names the origin.
TEST(LocateConfig, ErrorNamesTheOriginTheCallerGives) {
  auto found = locateConfig(std::string("/nonexistent/x.conf"), {}, "sgeventd", "given to check-config");
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error(), "config file /nonexistent/x.conf (given to check-config) does not exist");
}

TEST(LocateConfig, EnvironmentVariableNext) {
  Dir d;
  std::ofstream(d.path / "b.conf") << "";
  EXPECT_EQ(*locateConfig(std::nullopt, {{"SGEVENTD_CONFIG", (d.path / "b.conf").string()}}, "sgeventd"),
            (d.path / "b.conf").string());
}

TEST(LocateConfig, NextToTheBinaryThroughSymlinks) {
  Dir d;
  fs::create_directories(d.path / "bin");
  fs::create_directories(d.path / "links");
  std::ofstream(d.path / "bin/sgeventd") << "";
  fs::create_symlink(d.path / "bin/sgeventd", d.path / "links/sgeventd");
  std::ofstream(d.path / "bin/shotgunEventDaemon.conf") << "";
  const std::string expected = (fs::canonical(d.path / "bin") / "shotgunEventDaemon.conf").string();
  EXPECT_EQ(*locateConfig(std::nullopt, {}, (d.path / "links/sgeventd").string()), expected);
  EXPECT_EQ(*locateConfig(std::nullopt, {{"PATH", (d.path / "links").string()}}, "sgeventd"), expected)
      << "a bare argv[0] is looked up in $PATH";
}

TEST(LocateConfig, ErrorListsThePathsSearched) {
  Dir d;
  std::ofstream(d.path / "sgeventd") << "";
  auto found = locateConfig(std::nullopt, {}, (d.path / "sgeventd").string());
  if (fs::exists("/etc/shotgunEventDaemon.conf") || fs::exists("/etc/sgeventd/shotgunEventDaemon.conf")) {
    GTEST_SKIP() << "this machine has a config in /etc";
  }
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error(), "config path not found, searched " +
                               (fs::canonical(d.path) / "shotgunEventDaemon.conf").string() +
                               ", /etc/shotgunEventDaemon.conf, /etc/sgeventd/shotgunEventDaemon.conf"
                               " (use -c PATH or $SGEVENTD_CONFIG)");
}

}  // namespace
}  // namespace sgeventd::config
