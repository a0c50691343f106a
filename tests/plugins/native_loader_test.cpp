#include "plugins/native/native_loader.h"

#include <gtest/gtest.h>

#include "plugins/native/native_plugin.h"
#include "shotgrid/client.h"
#include "test_support.h"

namespace sgeventd::plugins {
namespace {

using native::NativeLoader;
using testing::idFor;
using testing::makeEvent;
using testing::TestHost;

class NativeLoaderTest : public ::testing::Test {
 protected:
  Expected<PluginPtr> load(const char* fixture) { return loader_.load(idFor(fixture), host_.context()); }
  PluginPtr loadOk(const char* fixture) {
    auto plugin = load(fixture);
    EXPECT_TRUE(plugin.has_value()) << (plugin ? "" : plugin.error().message);
    return plugin ? *plugin : nullptr;
  }
  void expectLoadError(const char* fixture, LoadErrorKind kind, const std::string& needle) {
    auto plugin = load(fixture);
    ASSERT_FALSE(plugin.has_value());
    EXPECT_EQ(plugin.error().code, static_cast<int>(kind)) << plugin.error().message;
    EXPECT_NE(plugin.error().message.find(needle), std::string::npos) << plugin.error().message;
  }

  TestHost host_;
  NativeLoader loader_;
};

TEST_F(NativeLoaderTest, HandlesOnlySharedObjects) {
  EXPECT_TRUE(loader_.handles("/x/my.plugin.so"));
  EXPECT_FALSE(loader_.handles("/x/plugin.py"));
  EXPECT_FALSE(loader_.handles("/x/plugin.so.1"));
}

TEST_F(NativeLoaderTest, LoadsCppPluginAndDescribesItsCallbacks) {
  auto plugin = loadOk(FIXTURE_GOOD);
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->kind(), PluginKind::Native);
  EXPECT_EQ(plugin->id().name, "fixture_good");
  const auto& callbacks = plugin->callbacks();
  ASSERT_EQ(callbacks.size(), 3u);
  EXPECT_EQ(callbacks[0].name, "record");
  EXPECT_TRUE(callbacks[0].match.matchAll);
  EXPECT_TRUE(callbacks[0].stopOnError);
  EXPECT_EQ(callbacks[1].name, "throws");
  EXPECT_FALSE(callbacks[1].stopOnError);
  EXPECT_FALSE(callbacks[1].match.matchAll);
  EXPECT_TRUE(core::matchesEvent(callbacks[1].match, "Test_Throw", std::nullopt));
  EXPECT_FALSE(core::matchesEvent(callbacks[1].match, "Shotgun_Task_Change", std::string("x")));
  ASSERT_TRUE(plugin->emails().has_value());
  EXPECT_EQ(plugin->emails()->mode, EmailSetting::Mode::Addresses);
  EXPECT_EQ(plugin->emails()->addresses, std::vector<std::string>{"ops@example.com"});
  EXPECT_EQ(host_.count("registering fixture_good"), 1u);
  EXPECT_EQ(host_.logs->sink().matching("registering")[0].logger, "plugin.fixture_good");
}

TEST_F(NativeLoaderTest, InvokePassesEveryEventFieldAndTheArgs) {
  auto plugin = loadOk(FIXTURE_GOOD);
  ASSERT_NE(plugin, nullptr);
  auto outcome = plugin->invoke(0, makeEvent(42), {});
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  auto records = host_.logs->sink().matching("seen id=42");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].logger, "plugin.fixture_good.record");
  EXPECT_EQ(records[0].level, core::LogLevel::Info);
  EXPECT_EQ(
      records[0].message,
      "seen id=42 type=Shotgun_Task_Change attr=sg_status_list entity=Task#7(Anim) user=HumanUser#35(Kevin) "
      "project=Project#65(Big Buck Bunny) session=450e4da2-dafa-11e0-9ba7-0023dffffeab "
      "created=1700000000123456 meta={\"new_value\":\"fin\",\"old_value\":\"ip\"} answer=42 raw_id=42");
}

TEST_F(NativeLoaderTest, InvokeWithMissingOptionalFields) {
  auto plugin = loadOk(FIXTURE_GOOD);
  ASSERT_NE(plugin, nullptr);
  core::Event event;
  event.id = 7;
  event.eventType = "Shotgun_Shot_New";
  event.json = R"({"id":7})";
  ASSERT_TRUE(plugin->invoke(0, event, {}).ok());
  EXPECT_EQ(host_.count("seen id=7 type=Shotgun_Shot_New attr=<none> entity=none user=none project=none "
                        "session=<none> created=-1 meta=null answer=42 raw_id=7"),
            1u);
}

TEST_F(NativeLoaderTest, ThrowingCallbackBecomesAFailureAndTheHostCarriesOn) {
  auto plugin = loadOk(FIXTURE_GOOD);
  ASSERT_NE(plugin, nullptr);
  auto outcome = plugin->invoke(1, makeEvent(1, "Test_Throw", std::nullopt), {});
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.message, "boom from the plugin");
  auto critical =
      host_.logs->sink().matching("An error occured processing an event.\n\nboom from the plugin");
  ASSERT_EQ(critical.size(), 1u);
  EXPECT_EQ(critical[0].logger, "plugin.fixture_good.throws");
  EXPECT_EQ(critical[0].level, core::LogLevel::Critical);
  EXPECT_TRUE(plugin->invoke(0, makeEvent(2), {}).ok());
}

TEST_F(NativeLoaderTest, OutOfRangeCallbackIsAFailureNotACrash) {
  auto plugin = loadOk(FIXTURE_GOOD);
  ASSERT_NE(plugin, nullptr);
  EXPECT_FALSE(plugin->invoke(99, makeEvent(1), {}).ok());
}

TEST_F(NativeLoaderTest, ConnectionWithoutClientFactoryReportsAnError) {
  auto plugin = loadOk(FIXTURE_GOOD);
  ASSERT_NE(plugin, nullptr);
  auto outcome = plugin->invoke(2, makeEvent(3, "Test_Connection", std::nullopt), {});
  EXPECT_FALSE(outcome.ok());
  EXPECT_NE(outcome.message.find("no ShotGrid connection"), std::string::npos) << outcome.message;
}

TEST_F(NativeLoaderTest, PlainCPluginWithSubstringMatchAndErrorStatus) {
  auto plugin = loadOk(FIXTURE_C);
  ASSERT_NE(plugin, nullptr);
  ASSERT_EQ(plugin->callbacks().size(), 1u);
  const auto& match = plugin->callbacks()[0].match;
  EXPECT_TRUE(core::matchesEvent(match, "Shotgun_Task_Change", std::string("status_list")));
  EXPECT_FALSE(core::matchesEvent(match, "Shotgun_Task_Change", std::string("content")));
  EXPECT_TRUE(plugin->invoke(0, makeEvent(1), {}).ok());
  auto failed = plugin->invoke(0, makeEvent(2, "Shotgun_Task_Change", std::string("bad")), {});
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.message, "bad attribute from C");
  EXPECT_EQ(host_.count("c plugin called"), 2u);
}

TEST_F(NativeLoaderTest, AbiVersionMismatchIsALoadError) {
  expectLoadError(FIXTURE_BAD_VERSION, LoadErrorKind::Load, "built for sgeventd plugin API version 999");
  expectLoadError(FIXTURE_BAD_VERSION, LoadErrorKind::Load, "this daemon supports versions 1 and 2.");
}

TEST_F(NativeLoaderTest, VersionOnePluginStillLoadsAndKnowsOnlyOkAndError) {
  auto plugin = loadOk(FIXTURE_STATUS_V1);
  ASSERT_NE(plugin, nullptr);
  ASSERT_EQ(plugin->callbacks().size(), 2u);
  EXPECT_TRUE(plugin->invoke(0, makeEvent(1, "Test", std::string("ok")), {}).ok());
  auto error = plugin->invoke(0, makeEvent(2, "Test", std::string("error")), {});
  EXPECT_EQ(error.status, InvokeStatus::Error);
  EXPECT_EQ(error.message, "asked for an error");
  // 2 meant nothing in version 1: a plain error, logged as the original logs one.
  auto retry = plugin->invoke(0, makeEvent(3, "Test", std::string("retry")), {});
  EXPECT_EQ(retry.status, InvokeStatus::Error);
  EXPECT_EQ(host_.count("An error occured processing an event.\n\nthe site is busy"), 1u);
  EXPECT_EQ(plugin->invoke(0, makeEvent(4, "Test", std::string("garbage")), {}).status, InvokeStatus::Error);
}

TEST_F(NativeLoaderTest, RetryStatusIsATransientFailureLoggedAtWarning) {
  auto plugin = loadOk(FIXTURE_STATUS);
  ASSERT_NE(plugin, nullptr);
  auto retry = plugin->invoke(0, makeEvent(1, "Test", std::string("retry")), {});
  EXPECT_EQ(retry.status, InvokeStatus::Retry);
  EXPECT_TRUE(retry.transient());
  EXPECT_EQ(retry.message, "the site is busy, asked for a retry");
  auto warned = host_.logs->sink().matching("the site is busy, asked for a retry");
  ASSERT_EQ(warned.size(), 1u);
  EXPECT_EQ(warned[0].level, core::LogLevel::Warning);  // retried, so no CRITICAL (and no mail) per attempt
  EXPECT_EQ(warned[0].logger, "plugin.fixture_status.answer");
  EXPECT_NE(warned[0].message.find("A transient error occurred processing an event"), std::string::npos);

  auto error = plugin->invoke(0, makeEvent(2, "Test", std::string("error")), {});
  EXPECT_EQ(error.status, InvokeStatus::Error);
  EXPECT_EQ(host_.count("An error occured processing an event.\n\nasked for an error"), 1u);
  auto garbage = plugin->invoke(0, makeEvent(3, "Test", std::string("garbage")), {});
  EXPECT_EQ(garbage.status, InvokeStatus::Error);
  EXPECT_EQ(garbage.message, "the callback returned an error");
}

TEST_F(NativeLoaderTest, CppRetryExceptionAsksForARetryAndOtherCallErrorsFail) {
  auto plugin = loadOk(FIXTURE_RETRY);
  ASSERT_NE(plugin, nullptr);
  auto retry = plugin->invoke(0, makeEvent(1), {});
  EXPECT_EQ(retry.status, InvokeStatus::Retry);
  EXPECT_EQ(retry.message, "the render farm is full, later please");
  // No ShotGrid access at all is the daemon's configuration, not a passing condition.
  auto noClient = plugin->invoke(1, makeEvent(2), {});
  EXPECT_EQ(noClient.status, InvokeStatus::Error);
  EXPECT_NE(noClient.message.find("no ShotGrid connection"), std::string::npos) << noClient.message;
  EXPECT_EQ(host_.count("read ok=0 transient=0"), 1u);
}

TEST_F(NativeLoaderTest, TooSmallDescriptorIsALoadError) {
  expectLoadError(FIXTURE_BAD_SIZE, LoadErrorKind::Load, "descriptor is 4 bytes");
}

TEST_F(NativeLoaderTest, MissingEntrySymbolIsAMissingEntryError) {
  expectLoadError(FIXTURE_NO_ENTRY, LoadErrorKind::MissingEntry, "does not export sgeventd_plugin_entry");
}

TEST_F(NativeLoaderTest, RegistrationExceptionIsARegistrationError) {
  expectLoadError(FIXTURE_REGISTER_ERROR, LoadErrorKind::Registration, "missing SGDAEMON_TEST_KEY");
}

TEST_F(NativeLoaderTest, NonObjectMatchEventsIsARegistrationError) {
  expectLoadError(FIXTURE_BAD_MATCH, LoadErrorKind::Registration, "must be a JSON object");
}

TEST_F(NativeLoaderTest, MissingFileAndGarbageAreLoadErrors) {
  expectLoadError("/nonexistent/folder/gone.so", LoadErrorKind::Load, "not a valid file");
  testing::TempDir dir;
  auto garbage = dir.path() / "garbage.so";
  testing::writeFile(garbage, "this is not an ELF file");
  auto plugin = loader_.load(idFor(garbage), host_.context());
  ASSERT_FALSE(plugin.has_value());
  EXPECT_NE(plugin.error().message.find("dlopen failed"), std::string::npos) << plugin.error().message;
}

TEST_F(NativeLoaderTest, ClientFactoryGetsEachCallbacksCredentialsAndItsFailureFailsTheLoad) {
  std::vector<std::string> asked;
  HostContext context = host_.context();
  context.makeClient = [&](const std::string& name, const std::string& key) {
    asked.push_back(name + "/" + key);
    return std::unique_ptr<shotgrid::Client>();
  };
  auto plugin = loader_.load(idFor(FIXTURE_C), context);
  ASSERT_FALSE(plugin.has_value());
  EXPECT_EQ(plugin.error().code, static_cast<int>(LoadErrorKind::Registration));
  EXPECT_NE(plugin.error().message.find("could not create the ShotGrid connection"), std::string::npos);
  EXPECT_EQ(asked, std::vector<std::string>{"c_script/c_key"});

  context.makeClient = [](const std::string&, const std::string&) -> std::unique_ptr<shotgrid::Client> {
    throw std::runtime_error("no server configured");
  };
  auto thrown = loader_.load(idFor(FIXTURE_C), context);
  ASSERT_FALSE(thrown.has_value());
  EXPECT_NE(thrown.error().message.find("no server configured"), std::string::npos);
}

}  // namespace
}  // namespace sgeventd::plugins
