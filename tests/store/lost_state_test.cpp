// A lost state is never a silent fresh start: an empty or schema-less database, or a missing one where
// the folder's marker says a daemon ran, is refused with what to do; a database deleted or replaced under
// a running daemon is rewritten from what the daemon holds, and locked again.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/daemon_lock.h"
#include "store/state_marker.h"
#include "store/state_store.h"
#include "temp_dir.h"

namespace sgeventd::store {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void makeSqliteFile(const std::string& path, const char* sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
}

std::vector<std::string> filesStartingWith(const fs::path& folder, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) {
      out.push_back(entry.path().filename().string());
    }
  }
  return out;
}

TEST(LostState, AFirstStartIsToldApartAndLeavesTheMarker) {
  TempDir dir;
  const auto path = dir.file("state/sgeventd.sqlite");
  {
    auto first = StateStore::open(path, OpenMode::Daemon);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ((*first)->origin(), StateOrigin::FirstStart);
    EXPECT_TRUE(markerExists(path));
  }
  auto again = StateStore::open(path, OpenMode::Daemon);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->origin(), StateOrigin::Existing);
}

TEST(LostState, AMissingDatabaseWhereADaemonRanIsRefusedUnlessAFreshStartIsAsked) {
  TempDir dir;
  const auto path = dir.file("sgeventd.sqlite");
  { ASSERT_TRUE(StateStore::open(path, OpenMode::Daemon)); }
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");

  auto refused = StateStore::open(path, OpenMode::Daemon);
  ASSERT_FALSE(refused);
  const auto& message = refused.error().message;
  EXPECT_TRUE(contains(message, "state lost")) << message;
  EXPECT_TRUE(contains(message, path + " is missing")) << message;
  EXPECT_TRUE(contains(message, "Restore it from a backup")) << message;
  EXPECT_TRUE(contains(message, "--fresh-start")) << message;
  EXPECT_FALSE(fs::exists(path)) << "a refused start leaves no empty database behind";
  EXPECT_FALSE(StateStore::open(path, OpenMode::Offline)) << "state set must not start afresh either";
  auto shown = StateStore::open(path, OpenMode::ReadOnly);
  ASSERT_FALSE(shown);
  EXPECT_TRUE(contains(shown.error().message, "the state is lost")) << shown.error().message;

  auto fresh = StateStore::open(path, OpenMode::Daemon, SyncMode::Full, LostState::StartAfresh);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_EQ((*fresh)->origin(), StateOrigin::FreshAfterLoss);
}

TEST(LostState, AnEmptyOrSchemaLessDatabaseIsAnErrorThatSaysWhatToDo) {
  TempDir dir;
  const auto empty = dir.file("empty.sqlite");
  std::ofstream(empty).close();
  auto refused = StateStore::open(empty, OpenMode::Daemon);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(
      contains(refused.error().message, "state lost: the state database " + empty + " is empty (0 bytes)"))
      << refused.error().message;
  EXPECT_TRUE(contains(refused.error().message, "--fresh-start")) << refused.error().message;
  EXPECT_EQ(fs::file_size(empty), 0u) << "nothing written to a refused database";

  const auto schemaLess = dir.file("schemaless.sqlite");
  makeSqliteFile(schemaLess, "PRAGMA page_size = 4096; VACUUM");
  ASSERT_GT(fs::file_size(schemaLess), 0u);
  auto noSchema = StateStore::open(schemaLess, OpenMode::Daemon);
  ASSERT_FALSE(noSchema);
  EXPECT_TRUE(contains(noSchema.error().message, "holds no sgeventd state (no schema)"))
      << noSchema.error().message;

  const auto foreign = dir.file("foreign.sqlite");
  makeSqliteFile(foreign, "CREATE TABLE shots (id INTEGER)");
  for (auto lost : {LostState::Refuse, LostState::StartAfresh}) {
    auto other = StateStore::open(foreign, OpenMode::Daemon, SyncMode::Full, lost);
    ASSERT_FALSE(other);
    EXPECT_TRUE(contains(other.error().message, "without sgeventd's schema")) << other.error().message;
  }

  for (const auto& path : {empty, schemaLess}) {
    auto fresh = StateStore::open(path, OpenMode::Daemon, SyncMode::Full, LostState::StartAfresh);
    ASSERT_TRUE(fresh) << fresh.error().message;
    EXPECT_EQ((*fresh)->origin(), StateOrigin::FreshAfterLoss);
    EXPECT_TRUE((*fresh)->commit({{"c", "p", 3, {}}}));
  }
}

TEST(LostState, AFreshStartNeverWipesADatabaseThatHoldsState) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  { ASSERT_TRUE((*StateStore::open(path, OpenMode::Daemon))->commit({{"c", "p", 9, {}}})); }
  auto again = StateStore::open(path, OpenMode::Daemon, SyncMode::Full, LostState::StartAfresh);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->origin(), StateOrigin::Existing);
  EXPECT_EQ((*(*again)->loadCheckpoint("c", "p"))->cursor, 9);
}

TEST(LostState, ADatabaseFromBeforeMarkersGetsOneAndOpensAsItWas) {
  TempDir dir;
  const auto path = dir.file("s.sqlite");
  { ASSERT_TRUE((*StateStore::open(path, OpenMode::Daemon))->commit({{"c", "p", 4, {}}})); }
  fs::remove(markerPath(path));
  auto again = StateStore::open(path, OpenMode::Daemon);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->origin(), StateOrigin::Existing);
  EXPECT_TRUE(markerExists(path));
}

class LostUnderARunningDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = StateStore::open(path_, OpenMode::Daemon);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    store_->setCriticalLog([this](const std::string& line) { critical_.push_back(line); });
    ASSERT_TRUE(store_->commit({{"c", "a", 10, {{7, 8, TimePoint(std::chrono::hours(500000))}}}}));
    ASSERT_TRUE(store_->setPluginStatus({"c", "a", PluginState::Disabled, "operator", {}, 0, ""}));
  }

  // What a fresh reader finds at the path, with the lock checked on the file that is there now.
  void expectRewritten() {
    ASSERT_TRUE(store_->commit({{"c", "b", 20, {}}})) << "a write after the loss goes through";
    ASSERT_EQ(critical_.size(), 1u);
    EXPECT_TRUE(contains(critical_[0], "State database " + path_)) << critical_[0];
    EXPECT_TRUE(contains(critical_[0],
                         "rewritten from the daemon's state (1 plugin position, 1 backlog "
                         "range, 1 plugin status)"))
        << critical_[0];
    auto holder = lockHolder(path_);
    ASSERT_TRUE(holder) << holder.error().message;
    EXPECT_EQ(*holder, std::optional<pid_t>(::getpid())) << "the lock is on the new file";
    EXPECT_FALSE(StateStore::open(path_, OpenMode::Offline)) << "state set is still locked out";
    auto reader = StateStore::open(path_, OpenMode::ReadOnly);
    ASSERT_TRUE(reader) << reader.error().message;
    auto a = (*reader)->loadCheckpoint("c", "a");
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->cursor, 10);
    ASSERT_EQ((*a)->gaps.size(), 1u);
    EXPECT_EQ((*a)->gaps[0].first, 7);
    EXPECT_EQ((*(*reader)->loadCheckpoint("c", "b"))->cursor, 20);
    auto statuses = (*reader)->pluginStatuses();
    ASSERT_TRUE(statuses);
    ASSERT_EQ(statuses->size(), 1u);
    EXPECT_EQ(statuses->front().state, PluginState::Disabled);
    EXPECT_TRUE(markerExists(path_));
  }

  TempDir dir_;
  const std::string path_ = dir_.file("state/sgeventd.sqlite");
  std::vector<std::string> critical_;  // before the store, whose destructor may still report
  StateStorePtr store_;
};

TEST_F(LostUnderARunningDaemon, ADeletedDatabaseIsRewrittenAndLockedAgain) {
  fs::remove_all(fs::path(path_).parent_path());  // the whole state folder, marker included
  expectRewritten();
  EXPECT_TRUE(contains(critical_[0], "was deleted while sgeventd was running")) << critical_[0];
}

TEST_F(LostUnderARunningDaemon, AReplacedDatabaseIsRewrittenAndTheReplacementKept) {
  const auto other = dir_.file("other.sqlite");
  makeSqliteFile(other, "CREATE TABLE shots (id INTEGER)");
  fs::rename(other, path_);
  expectRewritten();
  EXPECT_TRUE(contains(critical_[0], "was replaced by another file")) << critical_[0];
  const auto aside = filesStartingWith(fs::path(path_).parent_path(), "sgeventd.sqlite.set-aside-");
  ASSERT_FALSE(aside.empty());
  EXPECT_TRUE(contains(critical_[0], "kept as")) << critical_[0];
}

TEST_F(LostUnderARunningDaemon, AStopRightAfterTheLossStillLeavesTheStateOnDisk) {
  fs::remove(path_);
  store_.reset();
  ASSERT_EQ(critical_.size(), 1u);
  auto reader = StateStore::open(path_, OpenMode::ReadOnly);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ((*(*reader)->loadCheckpoint("c", "a"))->cursor, 10);
}

}  // namespace
}  // namespace sgeventd::store
