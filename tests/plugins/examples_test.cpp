// The example plugins shipped in examples/plugins/native/ (status_rollup is in connection_test.cpp).
#include <stdlib.h>

#include <gtest/gtest.h>

#include "plugins/native/native_loader.h"
#include "test_support.h"

namespace sgeventd::plugins {
namespace {

using testing::idFor;
using testing::makeEvent;
using testing::TempDir;
using testing::TestHost;

constexpr const char* kExamples = SGEVENTD_BUILD_DIR "/examples/plugins/native/";
constexpr const char* kTestPlugins = SGEVENTD_BUILD_DIR "/test-plugins/";

std::string readAll(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

TEST(ExamplePlugins, LogEventsLogsEachEvent) {
  TestHost host;
  native::NativeLoader loader;
  auto plugin = loader.load(idFor(std::string(kExamples) + "log_events.so"), host.context());
  ASSERT_TRUE(plugin.has_value()) << plugin.error().message;
  ASSERT_TRUE((*plugin)->invoke(0, makeEvent(42), {}).ok());
  auto records = host.logs->sink().matching(
      "event 42 Shotgun_Task_Change attribute=sg_status_list entity=Task 7 (Anim)");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].logger, "plugin.log_events.logEvent");
}

TEST(ExamplePlugins, CountEventsAppendsOneLinePerCallAndFailsTheAskedIds) {
  TempDir dir;
  const auto out = dir.path() / "count.txt";
  ScopedEnv file("SGEVENTD_COUNT_FILE", out.string());
  ScopedEnv failing("SGEVENTD_COUNT_FAIL_IDS", "3, 5");
  TestHost host;
  native::NativeLoader loader;
  auto plugin = loader.load(idFor(std::string(kTestPlugins) + "count_events.so"), host.context());
  ASSERT_TRUE(plugin.has_value()) << plugin.error().message;
  EXPECT_TRUE((*plugin)->invoke(0, makeEvent(1), {}).ok());
  EXPECT_TRUE((*plugin)->invoke(0, makeEvent(2), {}).ok());
  auto failed = (*plugin)->invoke(0, makeEvent(3), {});
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message.find("event 3 fails"), std::string::npos) << failed.message;
  EXPECT_TRUE((*plugin)->invoke(0, makeEvent(2), {}).ok());
  EXPECT_EQ(readAll(out), "1\n2\n3\n2\n");
}

TEST(ExamplePlugins, CountEventsWithoutItsFileRefusesToLoad) {
  ::unsetenv("SGEVENTD_COUNT_FILE");
  TestHost host;
  native::NativeLoader loader;
  auto plugin = loader.load(idFor(std::string(kTestPlugins) + "count_events.so"), host.context());
  ASSERT_FALSE(plugin.has_value());
  EXPECT_NE(plugin.error().message.find("SGEVENTD_COUNT_FILE"), std::string::npos) << plugin.error().message;
}

}  // namespace
}  // namespace sgeventd::plugins
