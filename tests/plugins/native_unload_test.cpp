// Unloading and hot replacement of native plugins: the private copy, and dlclose after the last reference.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugins/native/native_loader.h"
#include "plugins/native/native_plugin.h"
#include "test_support.h"

namespace sgeventd::plugins {
namespace {

using native::NativeLoader;
using native::NativePlugin;
using testing::idFor;
using testing::makeEvent;
using testing::TempDir;
using testing::TestHost;

std::filesystem::path libraryPathOf(const PluginPtr& plugin) {
  auto* nativePlugin = dynamic_cast<NativePlugin*>(plugin.get());
  return nativePlugin != nullptr ? nativePlugin->libraryPath() : std::filesystem::path();
}

TEST(NativeUnload, OldLibraryIsUnmappedOnceTheLastReferenceGoes) {
  TestHost host;
  NativeLoader loader;
  auto loaded = loader.load(idFor(FIXTURE_GOOD), host.context());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  PluginPtr plugin = std::move(*loaded);
  const auto copy = libraryPathOf(plugin);
  ASSERT_FALSE(copy.empty());
  EXPECT_NE(copy, std::filesystem::path(FIXTURE_GOOD));
  EXPECT_TRUE(testing::isMapped(copy));
  EXPECT_FALSE(testing::isMapped(FIXTURE_GOOD));  // the original file is never mapped

  PluginPtr inFlight = plugin;  // what a lane holds during a call
  plugin.reset();
  EXPECT_TRUE(testing::isMapped(copy));
  EXPECT_TRUE(inFlight->invoke(0, makeEvent(1), {}).ok());

  inFlight.reset();
  EXPECT_FALSE(testing::isMapped(copy));
  EXPECT_FALSE(std::filesystem::exists(copy));
}

TEST(NativeUnload, PrivateCopyLetsTheFileBeReplacedInPlaceWhileLoaded) {
  TestHost host;
  NativeLoader loader;
  TempDir dir;
  const auto file = dir.path() / "hot.so";
  std::filesystem::copy_file(FIXTURE_VERSION_A, file);
  auto first = loader.load(idFor(file), host.context());
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_EQ((*first)->callbacks().size(), 1u);

  // Overwrite the very inode the daemon loaded from (cp over it): safe because only the copy is mapped.
  std::filesystem::copy_file(FIXTURE_VERSION_B, file, std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE((*first)->invoke(0, makeEvent(1), {}).ok());
  EXPECT_EQ(host.count("tag A"), 1u);

  auto second = loader.load(idFor(file), host.context());
  ASSERT_TRUE(second.has_value()) << second.error().message;
  ASSERT_EQ((*second)->callbacks().size(), 2u);
  EXPECT_NE(libraryPathOf(*first), libraryPathOf(*second));
  EXPECT_TRUE((*second)->invoke(0, makeEvent(2), {}).ok());
  EXPECT_TRUE((*first)->invoke(0, makeEvent(3), {}).ok());  // both versions live side by side
  EXPECT_EQ(host.count("tag A"), 2u);
  EXPECT_EQ(host.count("tag B"), 1u);
}

TEST(NativeUnload, FailedRegistrationUnloadsTheLibrary) {
  TestHost host;
  TempDir copies;
  NativeLoader loader(copies.path());
  ASSERT_FALSE(loader.load(idFor(FIXTURE_REGISTER_ERROR), host.context()).has_value());
  ASSERT_FALSE(loader.load(idFor(FIXTURE_BAD_VERSION), host.context()).has_value());
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    EXPECT_EQ(line.find(copies.path().string()), std::string::npos) << line;
  }
}

TEST(NativeUnload, PrivateFolderIsRemovedWithTheLastLibrary) {
  TestHost host;
  TempDir parent;
  PluginPtr plugin;
  {
    NativeLoader loader(parent.path());
    auto loaded = loader.load(idFor(FIXTURE_C), host.context());
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    plugin = *loaded;
  }
  EXPECT_FALSE(std::filesystem::is_empty(parent.path()));  // the loader is gone, the plugin is not
  plugin.reset();
  EXPECT_TRUE(std::filesystem::is_empty(parent.path()));
}

TEST(NativeUnload, CopiesLeftByADeadDaemonAreRemoved) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::_exit(0);
  }
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // `child` is now a pid that no process has
  TempDir parent;
  const auto stale = parent.path() / ("sgeventd-plugins-" + std::to_string(child) + "-abcdef");
  const auto alive = parent.path() / ("sgeventd-plugins-" + std::to_string(::getpid()) + "-abcdef");
  std::filesystem::create_directory(stale);
  std::filesystem::create_directory(alive);
  testing::writeFile(stale / "1-old.so", "x");
  TestHost host;
  NativeLoader loader(parent.path());
  ASSERT_TRUE(loader.load(idFor(FIXTURE_C), host.context()).has_value());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(alive));
}

}  // namespace
}  // namespace sgeventd::plugins
