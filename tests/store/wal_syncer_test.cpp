#include "store/wal_syncer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/cursor_journal.h"
#include "store/state_store.h"
#include "temp_dir.h"

namespace sgeventd::store {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

std::unique_ptr<StateStore> openNormal(const std::string& path) {
  auto store = StateStore::open(path, OpenMode::Daemon, SyncMode::Normal);
  EXPECT_TRUE(store) << (store ? "" : store.error().message);
  return store ? std::move(*store) : nullptr;
}

Checkpoint at(std::int64_t cursor) { return Checkpoint{"plugins", "count", cursor, {}}; }

// Until nothing is left to flush (a just-touched file is flushed twice); false if that never happens.
bool settles(WalSyncer& syncer) {
  for (int i = 0; i < 100; ++i) {
    if (!syncer.syncNow()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(WalSyncer, FlushesTheLogOnlyWhenCommitsChangedIt) {
  TempDir dir;
  auto store = openNormal(dir.file("state.sqlite"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({at(1)}));
  WalSyncer syncer(dir.file("state.sqlite"), 0ms, nullptr);
  EXPECT_TRUE(syncer.syncNow());
  ASSERT_TRUE(settles(syncer));
  const auto idle = syncer.flushes();
  EXPECT_FALSE(syncer.syncNow());
  EXPECT_EQ(syncer.flushes(), idle);

  // A plugin's first commit is a SQLite transaction (later ones go to the cursor journal).
  ASSERT_TRUE(store->commit({Checkpoint{"plugins", "another", 2, {}}}));
  EXPECT_TRUE(syncer.syncNow());
  EXPECT_GT(syncer.flushes(), idle);
}

// An unchanged journal is not flushed (an fdatasync of a clean file still flushes the disk's cache on
// ext4); the first flush after start is unconditional, for what an earlier run left in the page cache.
TEST(WalSyncer, FlushesTheCursorJournalOnlyWhenACommitChangedIt) {
  TempDir dir;
  auto store = openNormal(dir.file("state.sqlite"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({at(1)}));  // a SQLite transaction: the row later cursors build on
  WalSyncer syncer(dir.file("state.sqlite"), 0ms, nullptr);
  syncer.syncNow();
  EXPECT_EQ(syncer.journalFlushes(), 1u);
  syncer.syncNow();
  syncer.syncNow();
  EXPECT_EQ(syncer.journalFlushes(), 1u);

  for (std::int64_t cursor = 2; cursor <= 4; ++cursor) {
    ASSERT_TRUE(store->commit({at(cursor)}));  // cursor moves: stores into the journal
  }
  syncer.syncNow();
  EXPECT_EQ(syncer.journalFlushes(), 2u);
  syncer.syncNow();
  EXPECT_EQ(syncer.journalFlushes(), 2u);
  ASSERT_TRUE(store->commit({at(5)}));
  syncer.syncNow();
  EXPECT_EQ(syncer.journalFlushes(), 3u);
  EXPECT_EQ(CursorJournal::readEntries(dir.file("state.sqlite"))->size(), 1u);
}

TEST(WalSyncer, TheBackgroundThreadFlushesWithinItsInterval) {
  TempDir dir;
  auto store = openNormal(dir.file("state.sqlite"));
  ASSERT_TRUE(store);
  WalSyncer syncer(dir.file("state.sqlite"), 10ms, nullptr);
  ASSERT_TRUE(store->commit({at(5)}));
  bool flushed = false;
  for (int i = 0; i < 500 && !flushed; ++i) {
    std::this_thread::sleep_for(10ms);
    flushed = syncer.flushes() > 0;
  }
  EXPECT_TRUE(flushed) << "no flush in 5 s with a 10 ms interval";
}

TEST(WalSyncer, FollowsALogThatSqliteRecreated) {
  TempDir dir;
  const auto path = dir.file("state.sqlite");
  WalSyncer syncer(path, 0ms, nullptr);
  EXPECT_FALSE(syncer.syncNow()) << "no log yet, nothing to flush";
  {
    auto store = openNormal(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->commit({at(1)}));
    EXPECT_TRUE(syncer.syncNow());
  }
  // The last connection closed: SQLite folded the log into the database and removed it.
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  EXPECT_FALSE(syncer.syncNow());
  auto store = openNormal(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({at(2)}));
  EXPECT_TRUE(syncer.syncNow()) << "the new log is flushed, not the unlinked one";
}

}  // namespace
}  // namespace sgeventd::store
