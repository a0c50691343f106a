#include "plugins/change_watcher.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_support.h"

namespace sgeventd::plugins {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::writeFile;

std::unique_ptr<ChangeWatcher> makeWatcher() {
  auto watcher = ChangeWatcher::create(20ms);
  EXPECT_TRUE(watcher.has_value()) << (watcher ? "" : watcher.error().message);
  return watcher ? std::move(*watcher) : nullptr;
}

TEST(ChangeWatcher, RenameIntoTheFolderWakesTheWait) {
  TempDir watched;
  TempDir staging;
  auto watcher = makeWatcher();
  ASSERT_NE(watcher, nullptr);
  watcher->watch({watched.path()});
  writeFile(staging.path() / "new.so", "x");
  std::thread installer([&] {
    std::this_thread::sleep_for(50ms);  // let wait() block first; the test passes either way
    std::filesystem::rename(staging.path() / "new.so", watched.path() / "new.so");
  });
  const auto start = std::chrono::steady_clock::now();
  const bool changed = watcher->wait(10s);
  installer.join();
  EXPECT_TRUE(changed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ChangeWatcher, TimesOutWithoutChanges) {
  TempDir watched;
  auto watcher = makeWatcher();
  ASSERT_NE(watcher, nullptr);
  watcher->watch({watched.path()});
  EXPECT_FALSE(watcher->wait(30ms));
}

TEST(ChangeWatcher, WakeEndsTheWaitWithoutAChange) {
  TempDir watched;
  auto watcher = makeWatcher();
  ASSERT_NE(watcher, nullptr);
  watcher->watch({watched.path()});
  std::thread waker([&] { watcher->wake(); });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(watcher->wait(10s));
  waker.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ChangeWatcher, FolderCreatedLaterIsWatchedFromTheNextWait) {
  TempDir parent;
  const auto folder = parent.path() / "plugins";
  auto watcher = makeWatcher();
  ASSERT_NE(watcher, nullptr);
  watcher->watch({folder});
  EXPECT_FALSE(watcher->wait(10ms));
  std::filesystem::create_directory(folder);
  EXPECT_FALSE(watcher->wait(10ms));  // adds the watch
  writeFile(folder / "p.so", "x");
  EXPECT_TRUE(watcher->wait(10s));
}

TEST(ChangeWatcher, BurstsAreCoalesced) {
  TempDir watched;
  auto watcher = makeWatcher();
  ASSERT_NE(watcher, nullptr);
  watcher->watch({watched.path()});
  for (int i = 0; i < 20; ++i) {
    writeFile(watched.path() / ("f" + std::to_string(i) + ".so"), "x");
  }
  EXPECT_TRUE(watcher->wait(10s));
  EXPECT_FALSE(watcher->wait(30ms));  // the burst was consumed by the first wait
}

}  // namespace
}  // namespace sgeventd::plugins
