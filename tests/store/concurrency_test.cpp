#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/sqlite_state_store.h"
#include "temp_dir.h"

namespace sgeventd::store {
namespace {

TEST(StateStoreConcurrency, EightThreadsCommitConcurrentlyAndEveryCommitIsKept) {
  testing::TempDir dir;
  const auto path = dir.file("s.sqlite");
  auto opened = StateStore::open(path, OpenMode::Daemon);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& store = **opened;
  constexpr int kThreads = 8;
  constexpr int kCommits = 150;
  std::atomic<int> unexpected{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string plugin = "p" + std::to_string(t);
      for (int j = 1; j <= kCommits; ++j) {
        const TimePoint expires{std::chrono::seconds(j)};
        if (!store.commit({{"c", plugin, j, {{j + 1, j + 2, expires}}}})) {
          ++unexpected;
        }
        // A request that must be refused, grouped with the others' valid ones.
        if (j % 10 == 0) {
          if (store.commit({{"c", plugin, j - 5, {}}})) {
            ++unexpected;
          } else {
            ++refused;
          }
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(refused.load(), kThreads * kCommits / 10);
  auto* sqlite = dynamic_cast<SqliteStateStore*>(&store);
  ASSERT_NE(sqlite, nullptr);
  std::printf("%d commit calls ran in %llu transactions\n", kThreads * kCommits * 11 / 10,
              static_cast<unsigned long long>(sqlite->commitTransactionsForTest()));
  opened->reset();

  auto reopened = StateStore::open(path, OpenMode::ReadOnly);
  ASSERT_TRUE(reopened) << reopened.error().message;
  auto checkpoints = (*reopened)->loadCheckpoints();
  ASSERT_TRUE(checkpoints);
  ASSERT_EQ(checkpoints->size(), static_cast<std::size_t>(kThreads));
  for (const auto& checkpoint : *checkpoints) {
    EXPECT_EQ(checkpoint.cursor, kCommits) << checkpoint.plugin;
    EXPECT_EQ(
        checkpoint.gaps,
        (std::vector<GapRange>{{kCommits + 1, kCommits + 2, TimePoint{std::chrono::seconds(kCommits)}}}));
  }
}

TEST(StateStoreConcurrency, OtherWritersAndReadersInterleaveWithCommits) {
  testing::TempDir dir;
  auto opened = StateStore::open(dir.file("s.sqlite"), OpenMode::Daemon);
  ASSERT_TRUE(opened);
  auto& store = **opened;
  std::atomic<bool> failed{false};
  std::thread committer([&] {
    for (int j = 1; j <= 200; ++j) {
      failed = failed || !store.commit({{"c", "p", j, {}}});
    }
  });
  std::thread other([&] {
    for (int j = 1; j <= 200; ++j) {
      failed = failed || !store.setHead(j);
      auto loaded = store.loadCheckpoint("c", "p");
      failed = failed || !loaded;
    }
  });
  committer.join();
  other.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ((*store.loadCheckpoint("c", "p"))->cursor, 200);
  EXPECT_EQ(**store.head(), 200);
}

}  // namespace
}  // namespace sgeventd::store
