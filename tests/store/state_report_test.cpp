#include "store/state_report.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace sgeventd::store {
namespace {

using std::chrono::seconds;

TEST(StateReport, ShortDurations) {
  EXPECT_EQ(shortDuration(seconds(-5)), "0s");
  EXPECT_EQ(shortDuration(seconds(59)), "59s");
  EXPECT_EQ(shortDuration(seconds(252)), "4m12s");
  EXPECT_EQ(shortDuration(seconds(3780)), "1h03m");
  EXPECT_EQ(shortDuration(seconds(2 * 86400 + 5 * 3600)), "2d05h");
}

TEST(StateReport, TableShowsCursorLagGapsAndStatus) {
  testing::TempDir dir;
  auto store = StateStore::open(dir.file("s.sqlite"), OpenMode::Daemon);
  ASSERT_TRUE(store);
  const TimePoint now{seconds(1'000'000)};
  ASSERT_TRUE((*store)->setHead(1200));
  ASSERT_TRUE((*store)->commit(
      {{"/plugins", "logArgs", 1190, {{1180, 1182, now + seconds(252)}, {1185, 1185, now - seconds(1)}}},
       {"/plugins", "slow", 1000, {}}}));
  ASSERT_TRUE(
      (*store)->setPluginStatus({"/plugins", "slow", PluginState::Inactive, "3 consecutive\nfailures", now}));
  ASSERT_TRUE((*store)->setPluginStatus({"/plugins", "broken", PluginState::LoadFailed, "SyntaxError", now}));
  auto table = renderStateTable(**store, now);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_NE(table->find("fetcher head: 1200\n"), std::string::npos) << *table;
  EXPECT_NE(table->find("COLLECTION  PLUGIN   CURSOR  LAG  OPEN GAPS"), std::string::npos) << *table;
  EXPECT_NE(
      table->find("/plugins    logArgs  1190    10   1180-1182 (expires in 4m12s), 1185 (expired)  active"),
      std::string::npos)
      << *table;
  EXPECT_NE(table->find("/plugins    slow     1000    200  -"), std::string::npos) << *table;
  EXPECT_NE(table->find("inactive: 3 consecutive failures"), std::string::npos) << *table;
  EXPECT_NE(table->find("/plugins    broken   -       -    -"), std::string::npos) << *table;
  EXPECT_NE(table->find("load-failed: SyntaxError"), std::string::npos) << *table;
}

TEST(StateReport, AHugeBacklogIsSummarisedUnlessEveryRangeIsAsked) {
  testing::TempDir dir;
  auto store = StateStore::open(dir.file("s.sqlite"), OpenMode::Daemon);
  ASSERT_TRUE(store);
  const TimePoint now{seconds(1'000'000)};
  std::vector<GapRange> gaps;
  for (std::int64_t id = 2; id < 2 * 50'000; id += 2) {  // 49,999 one-id ranges
    gaps.push_back({id, id, now + seconds(60)});
  }
  ASSERT_TRUE((*store)->commit({{"/plugins", "busy", 100'000, gaps}}));
  auto table = renderStateTable(**store, now);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_LT(table->size(), 1000u) << "a summary, not every range";
  EXPECT_NE(table->find("49999 ranges, 49999 ids: 2 (expires in 1m00s), 4 (expires in 1m00s), 6 (expires in "
                        "1m00s), ... 99994 (expires in 1m00s), 99996 (expires in 1m00s), 99998 (expires in "
                        "1m00s) (--all-gaps lists every one)"),
            std::string::npos)
      << *table;
  StateTableOptions all;
  all.allGaps = true;
  auto full = renderStateTable(**store, now, all);
  ASSERT_TRUE(full);
  EXPECT_NE(full->find("49996 (expires in 1m00s), 49998 (expires in 1m00s)"), std::string::npos);
}

TEST(StateReport, APluginWhoseFileIsGoneIsNotShownActive) {
  testing::TempDir dir;
  auto store = StateStore::open(dir.file("s.sqlite"), OpenMode::Daemon);
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->commit({{"/plugins", "kept", 10, {}}, {"/plugins", "deleted", 10, {}}}));
  StateTableOptions options;
  options.fileExists = [](const std::string&, const std::string& plugin) -> std::optional<bool> {
    return plugin == "kept";
  };
  auto table = renderStateTable(**store, TimePoint{}, options);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_NE(
      table->find("deleted  10      -    -          removed: no plugin file in its folder (was active)"),
      std::string::npos)
      << *table;
  EXPECT_NE(table->find("kept     10      -    -          active"), std::string::npos) << *table;
}

TEST(StateReport, FailuresTable) {
  testing::TempDir dir;
  auto store = StateStore::open(dir.file("s.sqlite"), OpenMode::Daemon);
  ASSERT_TRUE(store);
  auto empty = renderFailures(**store, std::string("x"), 5);
  EXPECT_EQ(*empty, "no failures recorded for plugin x\n");
  ASSERT_TRUE((*store)->recordFailure({"/p", "a", "cb", 17, 3, "KeyError: 'x'\n  at line 3", {}, true}));
  auto text = renderFailures(**store, std::nullopt, 5);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("EVENT  ATTEMPTS  FINAL  ERROR"), std::string::npos) << *text;
  EXPECT_NE(text->find("17     3         yes    KeyError: 'x'   at line 3"), std::string::npos) << *text;
}

TEST(StateReport, SetCursorFindsTheCollectionOrAsksForIt) {
  testing::TempDir dir;
  auto store = StateStore::open(dir.file("s.sqlite"), OpenMode::Offline);
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->commit({{"/a", "p", 100, {{90, 91, {}}}}, {"/a", "q", 5, {}}, {"/b", "q", 6, {}}}));
  auto line = setPluginCursor(**store, "p", 80, std::nullopt);
  ASSERT_TRUE(line) << line.error().message;
  EXPECT_EQ(*line, "plugin p in /a: cursor 100 -> 80 (1 open gap range(s) cleared)\n");
  EXPECT_EQ((*(*store)->loadCheckpoint("/a", "p"))->cursor, 80);

  auto ambiguous = setPluginCursor(**store, "q", 1, std::nullopt);
  ASSERT_FALSE(ambiguous);
  EXPECT_NE(ambiguous.error().message.find("several collections"), std::string::npos);
  EXPECT_TRUE(setPluginCursor(**store, "q", 1, std::string("/b")));
  EXPECT_EQ((*(*store)->loadCheckpoint("/b", "q"))->cursor, 1);

  auto unknown = setPluginCursor(**store, "new", 1, std::nullopt);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("give --collection"), std::string::npos);
  auto created = setPluginCursor(**store, "new", 1000, std::string("/a"));
  ASSERT_TRUE(created);
  EXPECT_EQ(*created, "plugin new in /a: cursor set to 1000 (new checkpoint)\n");
}

}  // namespace
}  // namespace sgeventd::store
