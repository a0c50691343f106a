// The admin room's small pieces: the token comparison and rule, readiness, and the [admin] section.
#include <gtest/gtest.h>

#include <fstream>

#include "../support/temp_dir.h"
#include "admin/readiness.h"
#include "admin/token.h"
#include "config/daemon_config.h"

using namespace std::chrono_literals;
using sgeventd::admin::checkAuthorization;
using sgeventd::admin::constantTimeEquals;
using sgeventd::admin::TokenRule;

TEST(AdminTokenRule, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "ab"));
  EXPECT_FALSE(constantTimeEquals("ab", "abc"));
  EXPECT_FALSE(constantTimeEquals(std::string("a\0b", 3), "a"));
}

TEST(AdminTokenRule, WhatNeedsTheToken) {
  EXPECT_FALSE((TokenRule{"", true}.required(true)));
  EXPECT_FALSE((TokenRule{"t", true}.required(false)));
  EXPECT_TRUE((TokenRule{"t", true}.required(true)));
  EXPECT_TRUE((TokenRule{"t", false}.required(false)));
  EXPECT_FALSE(checkAuthorization({"t", true}, true, std::string("Bearer t")));
  EXPECT_TRUE(checkAuthorization({"t", true}, true, std::string("Bearer  t")));
  EXPECT_TRUE(checkAuthorization({"t", true}, true, std::string("bearer t")));
  EXPECT_TRUE(checkAuthorization({"t", true}, true, std::nullopt));
}

TEST(AdminReadiness, SilenceLimitIsThreeFetchIntervalsOrThirtySeconds) {
  EXPECT_EQ(sgeventd::admin::siteSilenceLimit(5000ms), 30s);
  EXPECT_EQ(sgeventd::admin::siteSilenceLimit(20s), 60s);
}

TEST(AdminReadiness, StoppingIsNotReady) {
  sgeventd::engine::EngineStatus s;
  const auto now = std::chrono::system_clock::now();
  s.fetcher.lastContact = now;
  EXPECT_TRUE(sgeventd::admin::evaluateReadiness(s, now, {}, false).ready);
  const auto r = sgeventd::admin::evaluateReadiness(s, now, {}, true);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "the daemon is stopping");
}

TEST(AdminReadiness, AThreadModePluginIsStuckPastItsOwnCallbackTimeoutWhenThatIsLower) {
  sgeventd::engine::EngineStatus s;
  const auto now = std::chrono::system_clock::now();
  s.fetcher.lastContact = now;
  auto& p = s.plugins.emplace_back();
  p.id.name = "sleeper";
  p.active = true;
  p.inCallbackSince = now - 5s;
  p.inCallback = "onEvent";
  p.inCallbackEvent = 42;
  EXPECT_TRUE(sgeventd::admin::evaluateReadiness(s, now, {}, false).ready) << "stuck_after is 300 s";
  p.stuckAfter = 10s;
  EXPECT_TRUE(sgeventd::admin::evaluateReadiness(s, now, {}, false).ready);
  p.stuckAfter = 2s;
  const auto r = sgeventd::admin::evaluateReadiness(s, now, {}, false);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(
      r.reason,
      "plugin sleeper is stuck: callback onEvent has been running on event 42 for 5 s (its callback_timeout "
      "is 2 s)");
  // stuck_after lower than the plugin's own limit wins, with its own words.
  const auto lower = sgeventd::admin::evaluateReadiness(s, now, {5000ms, 1s}, false);
  EXPECT_NE(lower.reason.find("stuck_after is 1 s"), std::string::npos) << lower.reason;
}

namespace {

struct ConfigFixture {
  sgeventd::testing::TempDir dir;
  sgeventd::config::ConfigReport check(const std::string& admin) {
    std::filesystem::create_directories(dir.path() / "plugins");
    const std::string path = dir.file("shotgunEventDaemon.conf");
    std::ofstream(path)
        << "[daemon]\npidFile: x.pid\neventIdFile: x.id\nlogFile: x.log\nlogMode: 1\nlogging: 20\n"
           "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 1\nmax_event_batch_size: 50\n"
           "[shotgun]\nserver: https://x.example\nname: n\nkey: k\nuse_session_uuid: False\n"
           "[plugins]\npaths: plugins\n"
        << admin;
    return sgeventd::config::checkDaemonConfig(path, {});
  }
};

std::string errors(const sgeventd::config::ConfigReport& r) {
  std::string out;
  for (const auto& e : r.errors) {
    out += e.describe() + "\n";
  }
  return out;
}

}  // namespace

TEST(AdminConfig, DefaultsWithoutTheSection) {
  ConfigFixture f;
  auto r = f.check("");
  ASSERT_TRUE(r.config) << errors(r);
  EXPECT_EQ(r.config->admin.listen, "127.0.0.1:8480");
  EXPECT_EQ(r.config->admin.host, "127.0.0.1");
  EXPECT_EQ(r.config->admin.port, 8480);
  EXPECT_TRUE(r.config->admin.loopback);
  EXPECT_TRUE(r.config->admin.token.empty());
  EXPECT_EQ(r.config->admin.stuckAfter, 300s);
}

TEST(AdminConfig, ListenForms) {
  ConfigFixture f;
  auto zero = f.check("[admin]\nlisten: 127.0.0.1:0\n");
  ASSERT_TRUE(zero.config) << errors(zero);
  EXPECT_EQ(zero.config->admin.port, 0);
  auto v6 = f.check("[admin]\nlisten: [::1]:9000\n");
  ASSERT_TRUE(v6.config) << errors(v6);
  EXPECT_EQ(v6.config->admin.host, "::1");
  EXPECT_TRUE(v6.config->admin.loopback);
  auto off = f.check("[admin]\nlisten:\n");
  ASSERT_TRUE(off.config) << errors(off);
  EXPECT_TRUE(off.config->admin.listen.empty());
  auto bad = f.check("[admin]\nlisten: 127.0.0.1:http\n");
  ASSERT_EQ(bad.errors.size(), 1U);
  EXPECT_NE(bad.errors[0].describe().find(":19: listen: \"http\" is not a port number"), std::string::npos)
      << errors(bad);
  auto noPort = f.check("[admin]\nlisten: localhost\n");
  ASSERT_EQ(noPort.errors.size(), 1U);
  EXPECT_NE(noPort.errors[0].message.find("is not host:port"), std::string::npos);
}

TEST(AdminConfig, BeyondLoopbackWithoutATokenIsAnErrorNamingFileAndLine) {
  ConfigFixture f;
  auto r = f.check("[admin]\nstuck_after: 60\nlisten: 0.0.0.0:8480\n");
  ASSERT_EQ(r.errors.size(), 1U) << errors(r);
  const auto text = r.errors[0].describe();
  EXPECT_NE(
      text.find("shotgunEventDaemon.conf:20: listen: \"0.0.0.0:8480\" is reachable from other machines"),
      std::string::npos)
      << text;
  auto ok = f.check("[admin]\nlisten: 0.0.0.0:8480\ntoken: abc\n");
  ASSERT_TRUE(ok.config) << errors(ok);
  EXPECT_FALSE(ok.config->admin.loopback);
  EXPECT_EQ(ok.config->admin.token, "abc");
}

TEST(AdminConfig, TokenFile) {
  ConfigFixture f;
  std::ofstream(f.dir.file("token")) << "  from-a-file \n";
  std::filesystem::permissions(f.dir.file("token"),
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto r = f.check("[admin]\nlisten: 10.0.0.5:8480\ntoken_file: token\n");
  ASSERT_TRUE(r.config) << errors(r);
  EXPECT_EQ(r.config->admin.token, "from-a-file");
  EXPECT_TRUE(r.warnings.empty());
  auto missing = f.check("[admin]\ntoken_file: nope\n");
  ASSERT_EQ(missing.errors.size(), 1U);
  EXPECT_NE(missing.errors[0].message.find("cannot read the token file"), std::string::npos);
  std::filesystem::permissions(f.dir.file("token"), std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto open = f.check("[admin]\ntoken_file: token\n");
  ASSERT_TRUE(open.config);
  ASSERT_EQ(open.warnings.size(), 1U);
  EXPECT_NE(open.warnings[0].message.find("readable by others"), std::string::npos);
  auto both = f.check("[admin]\ntoken: other\ntoken_file: token\n");
  ASSERT_EQ(both.errors.size(), 1U);
  EXPECT_NE(both.errors[0].message.find("both set"), std::string::npos);
}
