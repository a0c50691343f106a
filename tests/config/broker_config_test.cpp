// [broker]: its keys, their defaults, the derived site token and each error message.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "config/daemon_config.h"
#include "config/sections.h"

namespace sgeventd::config {
namespace {

const Environment kEnv = {{"SG_ED_SITE_URL", "https://studio.shotgrid.autodesk.com"}};

struct Fixture {
  testing::TempDir dir;
  Fixture() { std::filesystem::create_directory(dir.path() / "plugins"); }

  // A complete config whose [broker] section is `broker` (none when empty).
  ConfigReport check(const std::string& broker) const {
    const std::string text =
        "[daemon]\npidFile: sg.pid\neventIdFile: sg.id\nlogMode: 1\nlogFile: sg.log\nlogging: 20\n"
        "conn_retry_sleep: 60\nmax_conn_retries: 5\nfetch_interval: 5\n\n"
        "[shotgun]\nserver: %(SG_ED_SITE_URL)s\nname: daemon\nkey: k\nuse_session_uuid: false\n\n"
        "[plugins]\npaths: plugins\n\n" +
        broker;
    const std::string path = dir.file("shotgunEventDaemon.conf");
    std::ofstream(path) << text;
    return checkDaemonConfig(path, kEnv);
  }
  std::vector<std::string> errors(const std::string& broker) const {
    std::vector<std::string> out;
    for (const auto& e : check(broker).errors) {
      out.push_back(e.describe().substr(e.file.size()));
    }
    return out;
  }
};

TEST(BrokerConfig, NoSectionIsBrokerModeOff) {
  Fixture f;
  const ConfigReport report = f.check("");
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_FALSE(report.config->broker.enabled());
  EXPECT_EQ(report.config->broker, BrokerSettings{});
}

TEST(BrokerConfig, AnEmptyUrlIsOffAndTheOtherKeysAreNotRead) {
  Fixture f;
  const ConfigReport report = f.check("[broker]\nurl:\nreplicas: %(UNSET)s\n");
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  EXPECT_FALSE(report.config->broker.enabled());
}

TEST(BrokerConfig, DefaultsAndTheDerivedSite) {
  Fixture f;
  const ConfigReport report = f.check("[broker]\nurl: nats://127.0.0.1:4222\n");
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  const BrokerSettings& b = report.config->broker;
  EXPECT_TRUE(b.enabled());
  EXPECT_EQ(b.urls, std::vector<std::string>{"nats://127.0.0.1:4222"});
  EXPECT_EQ(b.stream, "SGEVENTS");
  EXPECT_EQ(b.replicas, 1);
  EXPECT_EQ(b.site, "studio_shotgrid_autodesk_com");
  EXPECT_EQ(b.maxPendingAcks, 256);
  EXPECT_EQ(b.ackWait, std::chrono::milliseconds(30000));
  EXPECT_FALSE(b.newConsumerStartAll);
  EXPECT_FALSE(b.credentials.has_value());
  EXPECT_FALSE(b.tlsCaFile.has_value());
  EXPECT_TRUE(report.warnings.empty());
}

TEST(BrokerConfig, EveryKeySet) {
  Fixture f;
  std::ofstream(f.dir.file("nats.creds")) << "creds";
  std::ofstream(f.dir.file("ca.pem")) << "ca";
  const ConfigReport report = f.check(
      "[broker]\nurl: tls://n1:4222, tls://n2:4222 ,tls://n3:4222\ncredentials: nats.creds\n"
      "tls_ca_file: ca.pem\nstream: STUDIO_EVENTS\nreplicas: 3\nsite: studio\nmax_pending_acks: 1000\n"
      "ack_wait: 2.5\nnew_consumer_start: ALL\n");
  ASSERT_TRUE(report.errors.empty()) << report.errors.front().describe();
  const BrokerSettings& b = report.config->broker;
  EXPECT_EQ(b.urls, (std::vector<std::string>{"tls://n1:4222", "tls://n2:4222", "tls://n3:4222"}));
  EXPECT_EQ(b.credentials, f.dir.file("nats.creds"));
  EXPECT_EQ(b.tlsCaFile, f.dir.file("ca.pem"));
  EXPECT_EQ(b.stream, "STUDIO_EVENTS");
  EXPECT_EQ(b.replicas, 3);
  EXPECT_EQ(b.site, "studio");
  EXPECT_EQ(b.maxPendingAcks, 1000);
  EXPECT_EQ(b.ackWait, std::chrono::milliseconds(2500));
  EXPECT_TRUE(b.newConsumerStartAll);
}

TEST(BrokerConfig, SiteTokenOfAUrl) {
  EXPECT_EQ(siteTokenOf("https://studio.shotgrid.autodesk.com"), "studio_shotgrid_autodesk_com");
  EXPECT_EQ(siteTokenOf("https://Studio.ShotGrid.autodesk.com/"), "studio_shotgrid_autodesk_com");
  EXPECT_EQ(siteTokenOf("http://127.0.0.1:8020/api3/json"), "127_0_0_1_8020");
  EXPECT_EQ(siteTokenOf("https://user@sg.example.org?x=1"), "sg_example_org");
}

TEST(BrokerConfigErrors, EachMessage) {
  Fixture f;
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222, http://b:4222\n"),
            std::vector<std::string>{":21: url: \"http://b:4222\" is not a nats:// or tls:// URL"});
  EXPECT_EQ(
      f.errors("[broker]\nurl: nats://a:4222\ncredentials: missing.creds\n"),
      std::vector<std::string>{":22: credentials: \"" + f.dir.file("missing.creds") + "\" is not a file"});
  EXPECT_EQ(
      f.errors("[broker]\nurl: nats://a:4222\ntls_ca_file: missing.pem\n"),
      std::vector<std::string>{":22: tls_ca_file: \"" + f.dir.file("missing.pem") + "\" is not a file"});
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222\nreplicas: 2\n"),
            std::vector<std::string>{
                ":22: replicas: \"2\" is not 1 or 3 (two copies survive no loss of a server that one does "
                "not)"});
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222\nreplicas: 5\n"),
            std::vector<std::string>{":22: replicas: \"5\" is out of range (1 to 3)"});
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222\nsite: a.b\n"),
            std::vector<std::string>{":22: site: \"a.b\" may not contain '.' (no '.', '*', '>' or spaces)"});
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222\nstream: EV/ENTS\n"),
            std::vector<std::string>{
                ":22: stream: \"EV/ENTS\" may not contain '/' (no '.', '*', '>', '/', '\\' or spaces)"});
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222\nstream:\n"),
            std::vector<std::string>{":22: stream: is empty"});
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222\nmax_pending_acks: 0\n"),
            std::vector<std::string>{":22: max_pending_acks: \"0\" is out of range (1 to 65536)"});
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222\nack_wait: 0\n"),
            std::vector<std::string>{":22: ack_wait: \"0\" is out of range (0.1 to 3600)"});
  EXPECT_EQ(f.errors("[broker]\nurl: nats://a:4222\nnew_consumer_start: oldest\n"),
            std::vector<std::string>{":22: new_consumer_start: \"oldest\" is not new or all"});
}

TEST(BrokerConfigErrors, AnUnknownKeyIsAWarning) {
  Fixture f;
  const ConfigReport report = f.check("[broker]\nurl: nats://a:4222\nsubjects: x\n");
  ASSERT_TRUE(report.errors.empty());
  ASSERT_EQ(report.warnings.size(), 1U);
  EXPECT_EQ(report.warnings[0].describe().substr(report.warnings[0].file.size()),
            ":22: subjects: unknown key in [broker] (ignored)");
}

TEST(BrokerConfigKeyTable, DocumentedDefaultsAreTheDefaults) {
  ConfigReport report;
  const DaemonConfig pristine;
  for (const auto& key : brokerKeys()) {
    if (key.defaultValue.empty() || key.store == nullptr) {
      continue;
    }
    auto value = parseValue(key.parser, std::string(key.defaultValue));
    ASSERT_TRUE(value) << key.name << ": " << value.error();
    BrokerSettings target;
    key.store(*value, target, KeyContext("f.conf", 1, key.name, "/base", pristine, report));
    EXPECT_EQ(target, BrokerSettings{}) << key.name << ": " << key.defaultValue << " is not the default";
  }
  EXPECT_TRUE(report.errors.empty());
}

}  // namespace
}  // namespace sgeventd::config
