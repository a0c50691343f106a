#include <gtest/gtest.h>
#include <sqlite3.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/schema.h"
#include "store/sqlite_state_store.h"
#include "store/state_store.h"
#include "temp_dir.h"

namespace sgeventd::store {
namespace {

using std::chrono::microseconds;
using testing::TempDir;

TimePoint at(std::int64_t micros) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(microseconds(micros)));
}

StateStorePtr openOrDie(const std::string& path, OpenMode mode = OpenMode::Daemon) {
  auto store = StateStore::open(path, mode);
  EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().message);
  return store ? std::move(*store) : nullptr;
}

TEST(StateStore, CheckpointsRoundTripAcrossReopen) {
  TempDir dir;
  const std::string path = dir.file("state/sgeventd.sqlite");
  const std::vector<Checkpoint> checkpoints{
      {"/plugins",
       "logArgs",
       276560,
       {{276558, 276558, at(1'700'000'000'123'456)}, {276559, 276559, at(1'700'000'001'000'000)}}},
      {"/plugins", "newPlugin", 0, {}},
      {"/other", "logArgs", 12, {}},
  };
  {
    auto store = openOrDie(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->commit(checkpoints));
  }
  auto store = openOrDie(path);
  ASSERT_TRUE(store);
  auto loaded = store->loadCheckpoints();
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[0], checkpoints[2]);  // ordered by collection, plugin
  EXPECT_EQ((*loaded)[1], checkpoints[0]);
  EXPECT_EQ((*loaded)[2], checkpoints[1]);
  auto one = store->loadCheckpoint("/plugins", "logArgs");
  ASSERT_TRUE(one && *one);
  EXPECT_EQ(**one, checkpoints[0]);
  auto missing = store->loadCheckpoint("/plugins", "nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST(StateStore, GapListIsReplacedWhole) {
  TempDir dir;
  auto store = openOrDie(dir.file("s.sqlite"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({{"c", "p", 10, {{3, 4, at(1)}, {7, 7, at(2)}}}}));
  ASSERT_TRUE(store->commit({{"c", "p", 12, {{11, 11, at(3)}}}}));
  auto loaded = store->loadCheckpoint("c", "p");
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->gaps, (std::vector<GapRange>{{11, 11, at(3)}}));
  ASSERT_TRUE(store->commit({{"c", "p", 12, {}}}));
  loaded = store->loadCheckpoint("c", "p");
  EXPECT_TRUE((*loaded)->gaps.empty());
}

TEST(StateStore, AFailedCommitWritesNothingOfIt) {
  TempDir dir;
  auto store = openOrDie(dir.file("s.sqlite"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({{"c", "a", 10, {{5, 5, at(1)}}}, {"c", "b", 10, {}}}));
  // Two gaps starting at the same id violate the primary key: the whole call must roll back.
  auto result = store->commit({{"c", "a", 20, {}}, {"c", "b", 20, {{15, 15, at(1)}, {15, 16, at(2)}}}});
  ASSERT_FALSE(result);
  auto a = store->loadCheckpoint("c", "a");
  EXPECT_EQ((*a)->cursor, 10);
  EXPECT_EQ((*a)->gaps.size(), 1u);
  EXPECT_EQ((*store->loadCheckpoint("c", "b"))->cursor, 10);
}

TEST(StateStore, CursorNeverMovesBackwardsExceptThroughSetCursor) {
  TempDir dir;
  auto store = openOrDie(dir.file("s.sqlite"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({{"c", "p", 106, {{104, 104, at(1)}}}}));
  auto refused = store->commit({{"c", "p", 103, {}}});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("backwards from 106 to 103"), std::string::npos)
      << refused.error().message;
  // Refused as a whole: the other plugin of the call is not written either.
  EXPECT_FALSE(store->commit({{"c", "other", 5, {}}, {"c", "p", 100, {}}}));
  EXPECT_FALSE(*store->loadCheckpoint("c", "other"));
  auto kept = store->loadCheckpoint("c", "p");
  EXPECT_EQ((*kept)->cursor, 106);
  EXPECT_EQ((*kept)->gaps.size(), 1u);
  // The same cursor with a new gap list is fine (a gap id was processed).
  EXPECT_TRUE(store->commit({{"c", "p", 106, {}}}));

  ASSERT_TRUE(store->setCursor("c", "p", 50));
  EXPECT_EQ((*store->loadCheckpoint("c", "p"))->cursor, 50);
  ASSERT_TRUE(store->commit({{"c", "p", 51, {}}}));
  EXPECT_FALSE(store->setCursor("c", "p", -1));
  ASSERT_TRUE(store->setCursor("c", "new", 7));
  EXPECT_EQ((*store->loadCheckpoint("c", "new"))->cursor, 7);
}

TEST(StateStore, FailuresNewestFirstWithLimitAndFilter) {
  TempDir dir;
  auto store = openOrDie(dir.file("s.sqlite"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->recordFailure({"c", "a", "cb1", 1, 3, "boom\ntraceback", at(1'000'000), false}));
  ASSERT_TRUE(store->recordFailure({"c", "b", "cb", 2, 1, "bang", at(2'000'000), true}));
  ASSERT_TRUE(store->recordFailure({"c", "a", "cb2", 3, 2, "again", at(3'000'000), true}));
  auto all = store->failures(std::nullopt, 10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].eventId, 3);
  EXPECT_EQ((*all)[2].error, "boom\ntraceback");
  EXPECT_EQ((*all)[2].at, at(1'000'000));
  auto limited = store->failures(std::nullopt, 2);
  EXPECT_EQ(limited->size(), 2u);
  auto ofA = store->failures(std::string("a"), 10);
  ASSERT_EQ(ofA->size(), 2u);
  EXPECT_EQ((*ofA)[0].callback, "cb2");
  EXPECT_TRUE((*ofA)[0].final);
  EXPECT_EQ((*ofA)[1].attempts, 3);
  EXPECT_FALSE((*ofA)[1].final);
}

TEST(StateStore, StatusHeadAndMetaRoundTrip) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  {
    auto store = openOrDie(path);
    ASSERT_TRUE(store);
    EXPECT_FALSE(*store->head());
    EXPECT_FALSE(*store->meta("imported"));
    ASSERT_TRUE(store->setHead(1000));
    ASSERT_TRUE(store->setHead(1200));
    ASSERT_TRUE(store->setMeta("imported", "a.pickle at now"));
    ASSERT_TRUE(store->setPluginStatus({"c", "p", PluginState::Inactive, "3 failures", at(5)}));
    ASSERT_TRUE(store->setPluginStatus({"c", "q", PluginState::LoadFailed, "SyntaxError", at(6)}));
    ASSERT_TRUE(store->setPluginStatus({"c", "q", PluginState::Active, "", at(7)}));
  }
  auto store = openOrDie(path, OpenMode::ReadOnly);
  ASSERT_TRUE(store);
  EXPECT_EQ(**store->head(), 1200);
  EXPECT_EQ(**store->meta("imported"), "a.pickle at now");
  auto statuses = store->pluginStatuses();
  ASSERT_TRUE(statuses);
  ASSERT_EQ(statuses->size(), 2u);
  EXPECT_EQ((*statuses)[0].state, PluginState::Inactive);
  EXPECT_EQ((*statuses)[0].reason, "3 failures");
  EXPECT_EQ((*statuses)[0].since, at(5));
  EXPECT_EQ((*statuses)[1].state, PluginState::Active);
}

TEST(StateStore, DaemonLockExcludesSecondDaemonAndOfflineButNotReaders) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  auto daemon = openOrDie(path);
  ASSERT_TRUE(daemon);
  ASSERT_TRUE(daemon->commit({{"c", "p", 42, {}}}));

  const std::string expected =
      "state database " + path + " is in use by another sgeventd (pid " + std::to_string(::getpid()) + ")";
  auto second = StateStore::open(path, OpenMode::Daemon);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, expected);
  auto offline = StateStore::open(path, OpenMode::Offline);
  ASSERT_FALSE(offline);
  EXPECT_EQ(offline.error().message, expected);

  auto reader = openOrDie(path, OpenMode::ReadOnly);
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader->loadCheckpoint("c", "p"))->cursor, 42);
  ASSERT_TRUE(daemon->commit({{"c", "p", 43, {}}}));
  EXPECT_EQ((*reader->loadCheckpoint("c", "p"))->cursor, 43);
  auto write = reader->commit({{"c", "p", 44, {}}});
  ASSERT_FALSE(write);
  EXPECT_NE(write.error().message.find("read-only"), std::string::npos);
  EXPECT_FALSE(reader->setCursor("c", "p", 1));

  daemon.reset();
  auto afterwards = openOrDie(path, OpenMode::Offline);
  ASSERT_TRUE(afterwards);
  EXPECT_TRUE(afterwards->setCursor("c", "p", 10));
}

// The lock belongs to the database file, not to the name it was reached by: a symlink to the live file
// (issue 8, item 1) is the same state and must be refused.
TEST(StateStore, DaemonLockHoldsThroughASymlinkToTheDatabase) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  const auto link = dir.file("link.sqlite");
  auto daemon = openOrDie(path);
  ASSERT_TRUE(daemon);
  std::filesystem::create_symlink(path, link);

  auto second = StateStore::open(link, OpenMode::Daemon);
  ASSERT_FALSE(second) << "a second daemon opened the live state through a symlink";
  EXPECT_NE(second.error().message.find("state database " + link), std::string::npos)
      << second.error().message;
  EXPECT_NE(
      second.error().message.find("is in use by another sgeventd (pid " + std::to_string(::getpid()) + ")"),
      std::string::npos)
      << second.error().message;
  EXPECT_FALSE(StateStore::open(link, OpenMode::Offline));

  daemon.reset();
  EXPECT_TRUE(openOrDie(link));
}

// Issue 8, item 1: deleting "<db>.lock" under a running daemon let a second one start. Nothing next to
// the database holds the lock any more, so deleting that name changes nothing.
TEST(StateStore, DaemonLockSurvivesDeletingTheLockFile) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  auto daemon = openOrDie(path);
  ASSERT_TRUE(daemon);
  std::error_code ec;
  std::filesystem::remove(path + ".lock", ec);

  auto second = StateStore::open(path, OpenMode::Daemon);
  ASSERT_FALSE(second) << "a second daemon opened the live state after the lock file was deleted";
  EXPECT_NE(second.error().message.find("is in use by another sgeventd"), std::string::npos);
  EXPECT_FALSE(StateStore::open(path, OpenMode::Offline));
}

TEST(StateStore, ReadOnlyWorksOnACleanlyClosedDatabase) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  {
    auto store = openOrDie(path);
    ASSERT_TRUE(store && store->commit({{"c", "p", 5, {}}}));
  }
  auto reader = openOrDie(path, OpenMode::ReadOnly);
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader->loadCheckpoint("c", "p"))->cursor, 5);
}

TEST(StateStore, ClearErrorsForMissingCorruptAndNewerFiles) {
  TempDir dir;
  const auto missing = dir.file("missing.sqlite");
  auto readMissing = StateStore::open(missing, OpenMode::ReadOnly);
  ASSERT_FALSE(readMissing);
  EXPECT_EQ(readMissing.error().message, "state database " + missing + " does not exist");

  const auto garbage = dir.file("garbage.sqlite");
  {
    std::ofstream out(garbage);
    for (int i = 0; i < 200; ++i) {
      out << "this is a pickle, not a database\n";
    }
  }
  for (auto mode : {OpenMode::Daemon, OpenMode::ReadOnly, OpenMode::Offline}) {
    auto corrupt = StateStore::open(garbage, mode);
    ASSERT_FALSE(corrupt);
    EXPECT_NE(corrupt.error().message.find("state database " + garbage + " is not a SQLite database"),
              std::string::npos)
        << corrupt.error().message;
  }

  const auto newer = dir.file("newer.sqlite");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(newer.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  auto tooNew = StateStore::open(newer, OpenMode::Daemon);
  ASSERT_FALSE(tooNew);
  EXPECT_NE(tooNew.error().message.find("schema version 99, newer"), std::string::npos)
      << tooNew.error().message;

  auto directory = StateStore::open(dir.file(""), OpenMode::Daemon);
  EXPECT_FALSE(directory);
  EXPECT_FALSE(StateStore::open("", OpenMode::Daemon));
}

TEST(StateStore, UsesWalAndFullSynchronousAndReportsNoWarningOnLocalDisk) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  auto store = openOrDie(path);
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->warnings().empty());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), store::kSchemaVersion);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST(StateStore, AFailureKeepsItsEventAndAStatusItsResumePoint) {
  TempDir dir;
  auto store = StateStore::open((dir.path() / "state.sqlite").string(), OpenMode::Daemon);
  ASSERT_TRUE(store) << store.error().message;
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE((*store)->recordFailure({"c", "p", "cb", 42, 1, "boom", now, true, R"({"id":42})"}));
  auto records = (*store)->failures(std::string("p"), 10);
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_GT(records->front().id, 0);
  auto one = (*store)->failure(records->front().id);
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->eventJson, R"({"id":42})");
  EXPECT_EQ((*one)->callback, "cb");
  auto missing = (*store)->failure(records->front().id + 100);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  ASSERT_TRUE(
      (*store)->setPluginStatus({"c", "p", PluginState::Inactive, "callback cb failed", now, 42, "cb"}));
  ASSERT_TRUE((*store)->setPluginStatus({"c", "q", PluginState::Disabled, "disabled by an operator", now}));
  auto statuses = (*store)->pluginStatuses();
  ASSERT_TRUE(statuses);
  ASSERT_EQ(statuses->size(), 2u);
  EXPECT_EQ((*statuses)[0].resumeEvent, 42);
  EXPECT_EQ((*statuses)[0].resumeCallback, "cb");
  EXPECT_EQ((*statuses)[1].state, PluginState::Disabled);
  EXPECT_EQ(pluginStateName(PluginState::Disabled), "disabled");
}

}  // namespace
}  // namespace sgeventd::store
