// The cursor journal under state_sync = normal: a commit that only moves a cursor skips SQLite, and what it
// wrote survives a kill, is seen by a reader beside the daemon, and is never believed over a newer row.
#include "store/cursor_journal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/sqlite_state_store.h"
#include "store/state_store.h"
#include "temp_dir.h"

namespace sgeventd::store {
namespace {

using testing::TempDir;

std::unique_ptr<StateStore> open(const std::string& path, OpenMode mode = OpenMode::Daemon,
                                 SyncMode sync = SyncMode::Normal) {
  auto store = StateStore::open(path, mode, sync);
  EXPECT_TRUE(store) << (store ? "" : store.error().message);
  return store ? std::move(*store) : nullptr;
}

std::uint64_t transactions(StateStore& store) {
  return dynamic_cast<SqliteStateStore&>(store).commitTransactionsForTest();
}

std::int64_t cursorOf(StateStore& store, const std::string& plugin) {
  auto checkpoint = store.loadCheckpoint("c", plugin);
  EXPECT_TRUE(checkpoint && *checkpoint) << plugin;
  return checkpoint && *checkpoint ? (*checkpoint)->cursor : -1;
}

// Runs `body` in a child that dies with SIGKILL once it is done: no destructor runs, as in a crash.
template <class Body>
void inChildThenKill(Body body) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    const char ok = body() ? 'y' : 'n';
    (void)::write(fds[1], &ok, 1);
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  char ok = 0;
  ASSERT_EQ(::read(fds[0], &ok, 1), 1);
  ::close(fds[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(ok, 'y') << "the child's commits failed";
}

TEST(CursorJournal, ACursorOnlyCommitSkipsSqliteAndIsReadBack) {
  TempDir dir;
  auto store = open(dir.file("s.sqlite"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({{"c", "p", 1, {}}}));  // the plugin's first commit makes its row
  const auto before = transactions(*store);
  for (std::int64_t i = 2; i <= 100; ++i) {
    ASSERT_TRUE(store->commit({{"c", "p", i, {}}}));
  }
  EXPECT_EQ(transactions(*store), before) << "cursor-only commits went to SQLite";
  EXPECT_EQ(cursorOf(*store, "p"), 100);
  auto all = store->loadCheckpoints();
  ASSERT_TRUE(all && all->size() == 1u);
  EXPECT_EQ((*all)[0].cursor, 100);
}

TEST(CursorJournal, AGapChangeGoesToSqliteAndABackwardsMoveIsStillRefused) {
  TempDir dir;
  auto store = open(dir.file("s.sqlite"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({{"c", "p", 1, {}}}));
  ASSERT_TRUE(store->commit({{"c", "p", 50, {}}}));
  const auto before = transactions(*store);
  ASSERT_TRUE(store->commit({{"c", "p", 60, {{55, 56, {}}}}}));
  EXPECT_EQ(transactions(*store), before + 1);
  EXPECT_FALSE(store->commit({{"c", "p", 40, {{55, 56, {}}}}})) << "behind the journal's cursor";
  EXPECT_FALSE(store->commit({{"c", "p", 59, {}}})) << "behind, with other gaps";
  auto checkpoint = store->loadCheckpoint("c", "p");
  ASSERT_TRUE(checkpoint && *checkpoint);
  EXPECT_EQ((*checkpoint)->cursor, 60);
  ASSERT_EQ((*checkpoint)->gaps.size(), 1u);
  EXPECT_EQ((*checkpoint)->gaps[0].first, 55);
}

TEST(CursorJournal, AKilledDaemonLosesNoJournalledCommitAndKeepsItsGaps) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  inChildThenKill([&] {
    auto store = StateStore::open(path, OpenMode::Daemon, SyncMode::Normal);
    if (!store) {
      return false;
    }
    bool ok = bool((*store)->commit({{"c", "p", 10, {{5, 6, {}}}}, {"c", "q", 3, {}}}));
    for (std::int64_t i = 11; ok && i <= 5000; ++i) {
      ok = bool((*store)->commit({{"c", "p", i, {{5, 6, {}}}}}));
    }
    return ok;
  });
  auto reopened = open(path);
  ASSERT_TRUE(reopened);
  auto checkpoint = reopened->loadCheckpoint("c", "p");
  ASSERT_TRUE(checkpoint && *checkpoint);
  EXPECT_EQ((*checkpoint)->cursor, 5000);
  ASSERT_EQ((*checkpoint)->gaps.size(), 1u);
  EXPECT_EQ((*checkpoint)->gaps[0].first, 5);
  EXPECT_EQ(cursorOf(*reopened, "q"), 3);
}

TEST(CursorJournal, AReaderBesideTheDaemonSeesTheJournalledCursor) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  auto daemon = open(path);
  ASSERT_TRUE(daemon);
  ASSERT_TRUE(daemon->commit({{"c", "p", 1, {}}}));
  ASSERT_TRUE(daemon->commit({{"c", "p", 77, {}}}));
  auto reader = open(path, OpenMode::ReadOnly);
  ASSERT_TRUE(reader);
  EXPECT_EQ(cursorOf(*reader, "p"), 77);
  auto all = reader->loadCheckpoints();
  ASSERT_TRUE(all && all->size() == 1u);
  EXPECT_EQ((*all)[0].cursor, 77);
}

TEST(CursorJournal, ARewindIsNeverUndoneByAnOlderJournalSlot) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  inChildThenKill([&] {
    auto store = StateStore::open(path, OpenMode::Daemon, SyncMode::Normal);
    if (!store) {
      return false;
    }
    const bool made = bool((*store)->commit({{"c", "p", 1, {}}}));
    const bool ahead = made && bool((*store)->commit({{"c", "p", 900, {}}}));
    const bool rewound = ahead && bool((*store)->setCursor("c", "p", 20));
    return rewound && bool((*store)->commit({{"c", "p", 21, {}}}));
  });
  auto reopened = open(path);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(cursorOf(*reopened, "p"), 21);
}

TEST(CursorJournal, ACleanStopFoldsEverythingIntoSqlite) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  {
    auto store = open(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->commit({{"c", "p", 1, {}}}));
    ASSERT_TRUE(store->commit({{"c", "p", 42, {}}}));
  }
  std::filesystem::remove(journalPathOf(path));
  auto reopened = open(path);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(cursorOf(*reopened, "p"), 42);
}

TEST(CursorJournal, AStartUnderFullFoldsTheJournalOfAKilledNormalRunAndRemovesIt) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  inChildThenKill([&] {
    auto store = StateStore::open(path, OpenMode::Daemon, SyncMode::Normal);
    if (!store) {
      return false;
    }
    const bool made = bool((*store)->commit({{"c", "p", 1, {}}}));
    return made && bool((*store)->commit({{"c", "p", 300, {}}}));
  });
  ASSERT_TRUE(std::filesystem::exists(journalPathOf(path)));
  auto reopened = open(path, OpenMode::Daemon, SyncMode::Full);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(cursorOf(*reopened, "p"), 300);
  EXPECT_FALSE(std::filesystem::exists(journalPathOf(path)));
  const auto before = transactions(*reopened);
  ASSERT_TRUE(reopened->commit({{"c", "p", 301, {}}}));
  EXPECT_EQ(transactions(*reopened), before + 1) << "under full every commit is a transaction";
}

TEST(CursorJournal, ASlotCutShortFallsBackToItsOtherCopy) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  {
    auto journal = CursorJournal::openForWriting(path);
    ASSERT_TRUE(journal) << journal.error().message;
    const auto key = journalKey("c", "p");
    journal->write(0, {key, 7, 100});
    journal->write(0, {key, 7, 101});
  }
  // Damage the newer copy (the second of slot 0): its checksum no longer holds.
  {
    std::fstream file(journalPathOf(path), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(64 + 32 + 16);
    const std::uint64_t garbage = 0xdeadbeef;
    file.write(reinterpret_cast<const char*>(&garbage), sizeof garbage);
  }
  auto entries = CursorJournal::readEntries(path);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].cursor, 100);
  EXPECT_EQ((*entries)[0].stamp, 7);
}

TEST(CursorJournal, NoJournalIsNoEntries) {
  TempDir dir;
  auto entries = CursorJournal::readEntries(dir.file("none.sqlite"));
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
}

}  // namespace
}  // namespace sgeventd::store
