#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/memory_log.h"
#include "legacy/import.h"
#include "legacy_support.h"
#include "store/state_store.h"

namespace sgeventd::legacy {
namespace {

using store::Checkpoint;
using store::GapRange;
using store::OpenMode;
using store::StateStore;
using store::StateStorePtr;
using store::TimePoint;

using legacytest::pythonPickle;
using legacytest::readBytes;
using legacytest::TempDir;
using legacytest::writeBytes;
using std::chrono::microseconds;
using std::chrono::seconds;
using namespace std::string_literals;

constexpr std::int64_t kNow = 1'900'000'000;  // the test clock's now, in epoch seconds

class FixedClock final : public core::Clock {
 public:
  explicit FixedClock(TimePoint now) : now_(now) {}
  std::chrono::system_clock::time_point now() const override { return now_; }
  std::chrono::steady_clock::time_point steadyNow() const override { return {}; }

 private:
  TimePoint now_;
};

TimePoint epoch(std::int64_t secs, std::int64_t micros = 0) {
  return TimePoint(seconds(secs)) + microseconds(micros);
}

struct Fixture : ::testing::Test {
  TempDir dir;
  core::MemoryLogFactory logs;
  core::LoggerPtr log = logs.get("engine");
  FixedClock clock{epoch(kNow)};
  StateStorePtr store;

  void SetUp() override {
    auto opened = StateStore::open(dir.file("state.sqlite"), OpenMode::Daemon);
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
  }

  Expected<ImportReport> import(const std::string& path) {
    return importLegacyState(path, *store, *log, clock);
  }

  std::vector<Checkpoint> checkpoints() {
    auto all = store->loadCheckpoints();
    EXPECT_TRUE(all) << all.error().message;
    return all ? *all : std::vector<Checkpoint>{};
  }

  std::string importerPickle(int protocol) {
    return pythonPickle(dir, "eventIdFile", "importer",
                        {std::to_string(protocol), std::to_string(kNow + 120), std::to_string(kNow - 600)});
  }

  const Checkpoint* find(const std::vector<Checkpoint>& all, const std::string& collection,
                         const std::string& plugin) {
    for (const auto& c : all) {
      if (c.collection == collection && c.plugin == plugin) {
        return &c;
      }
    }
    return nullptr;
  }

  void expectImportedState(const std::vector<Checkpoint>& all) {
    const auto* logArgs = find(all, "/usr/local/shotgun/plugins", "logArgs");
    ASSERT_NE(logArgs, nullptr);
    EXPECT_EQ(logArgs->cursor, 276560);
    // 276540-1 expired, 276570 is above the cursor (nothing to keep open), the rest grouped by expiry
    const std::vector<GapRange> gaps{{276550, 276552, epoch(kNow + 120, 250000)},
                                     {276554, 276555, epoch(kNow + 180)}};
    EXPECT_EQ(logArgs->gaps, gaps);
    const auto* unicode = find(all, "/usr/local/shotgun/plugins", "\u00e9t\u00e9");
    ASSERT_NE(unicode, nullptr);
    EXPECT_EQ(unicode->cursor, 276000);
    EXPECT_TRUE(unicode->gaps.empty());
    const auto* bare = find(all, "/usr/local/shotgun/plugins", "bare");
    ASSERT_NE(bare, nullptr);
    EXPECT_EQ(bare->cursor, 275000);
    const auto* studio = find(all, "/studio/plugins", "logArgs");
    ASSERT_NE(studio, nullptr);
    EXPECT_EQ(studio->cursor, 276100);
    EXPECT_EQ(find(all, "/usr/local/shotgun/plugins", "newPlugin"), nullptr);  // None: starts at the head
  }
};

class ImportEveryProtocol : public Fixture, public ::testing::WithParamInterface<int> {};

TEST_P(ImportEveryProtocol, PluginsBecomeCheckpointsWithTheirOpenBacklog) {
  const auto path = importerPickle(GetParam());
  auto report = import(path);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->outcome, ImportReport::Outcome::Imported);
  const auto all = checkpoints();
  EXPECT_EQ(all.size(), 4u);
  expectImportedState(all);
  EXPECT_EQ(report->imported.size(), 4u);
  EXPECT_EQ(report->backlogIds, 5u);
  EXPECT_EQ(report->expiredBacklogIds, 2u);
  EXPECT_EQ(report->skippedWithoutCursor, std::vector<std::string>{"/usr/local/shotgun/plugins newPlugin"});
  EXPECT_TRUE(report->warnings.empty());

  const auto line = "Imported the original daemon's state from " + path +
                    ": 4 plugins (cursor range 275000..276560), 5 backlog ids";
  ASSERT_EQ(logs.sink().count(line), 1u);
  EXPECT_EQ(logs.sink().matching(line)[0].level, core::LogLevel::Info);
  EXPECT_EQ(report->summary.rfind(line, 0), 0u) << report->summary;

  auto guard = store->meta(kLegacyImportKey);
  ASSERT_TRUE(guard && guard->has_value());
  EXPECT_EQ(**guard, path + " imported at 2030-03-17T17:46:40Z: 4 plugins");
  // "/other": 5000 is a collection whose plugins all start at 5000
  auto other = legacyDefaultCursor(*store, "/other");
  ASSERT_TRUE(other);
  EXPECT_EQ(*other, std::optional<std::int64_t>(5000));
  auto elsewhere = legacyDefaultCursor(*store, "/studio/plugins");
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(*elsewhere, std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Legacy, ImportEveryProtocol, ::testing::Values(0, 2, 4, 5));

TEST_F(Fixture, RunsOnlyOnce) {
  const auto path = importerPickle(5);
  ASSERT_TRUE(import(path));
  const auto first = checkpoints();
  // The daemon moves on; the old file is still there on the next start.
  ASSERT_TRUE(store->commit({Checkpoint{"/usr/local/shotgun/plugins", "logArgs", 276600, {}}}));
  ASSERT_TRUE(store->setCursor("/usr/local/shotgun/plugins", "bare", 1));
  auto again = import(path);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->outcome, ImportReport::Outcome::AlreadyImported);
  EXPECT_TRUE(again->imported.empty());
  const auto all = checkpoints();
  EXPECT_EQ(find(all, "/usr/local/shotgun/plugins", "logArgs")->cursor, 276600);
  EXPECT_EQ(find(all, "/usr/local/shotgun/plugins", "bare")->cursor, 1);
  EXPECT_EQ(logs.sink().count("Imported the original daemon's state"), 1u);
}

TEST_F(Fixture, NeverOverwritesAnExistingCheckpoint) {
  const Checkpoint mine{"/usr/local/shotgun/plugins", "logArgs", 300000, {{299990, 299991, epoch(kNow + 5)}}};
  ASSERT_TRUE(store->commit({mine}));
  auto report = import(importerPickle(5));
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->skippedExisting.size(), 1u);
  EXPECT_EQ(report->skippedExisting[0].plugin, "logArgs");
  EXPECT_EQ(report->imported.size(), 3u);
  EXPECT_EQ(report->backlogIds, 0u);
  const auto all = checkpoints();
  EXPECT_EQ(*find(all, mine.collection, mine.plugin), mine);
  EXPECT_NE(find(all, "/studio/plugins", "logArgs"), nullptr);
  EXPECT_EQ(logs.sink().count("the state store already has its checkpoint at 300000"), 1u);
  EXPECT_EQ(logs.sink().count("1 plugin kept the checkpoint already stored"), 1u);
}

TEST_F(Fixture, ReadsPython2Files) {
  auto report = import(pythonPickle(dir, "py2", "py2proto2"));
  ASSERT_TRUE(report) << report.error().message;
  const auto all = checkpoints();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(find(all, "/usr/local/shotgun/plugins", "logArgs")->cursor, 276560);
  EXPECT_EQ(find(all, "/usr/local/shotgun/plugins", "caf\u00e9")->cursor, 1000);
  EXPECT_EQ(report->expiredBacklogIds, 1u);  // its expiry, 2024, is long gone for the test clock
}

TEST_F(Fixture, OldSingleNumberFileBecomesTheDefaultCursor) {
  const auto path = dir.file("eventIdFile");
  writeBytes(path, "276560\n");
  auto report = import(path);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->outcome, ImportReport::Outcome::DefaultCursor);
  EXPECT_EQ(report->defaultCursor, std::optional<std::int64_t>(276560));
  EXPECT_TRUE(checkpoints().empty());
  for (const std::string collection : {"", "/any/collection"}) {
    auto cursor = legacyDefaultCursor(*store, collection);
    ASSERT_TRUE(cursor) << cursor.error().message;
    EXPECT_EQ(*cursor, std::optional<std::int64_t>(276560));
  }
  EXPECT_EQ(logs.sink().count("last event id 276560 (the old single-number format)"), 1u);
  auto again = import(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, ImportReport::Outcome::AlreadyImported);
}

TEST_F(Fixture, NoFileIsNotAnError) {
  for (const auto& path : {std::string(), dir.file("missing")}) {
    auto report = import(path);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->outcome, ImportReport::Outcome::NoFile);
  }
  auto guard = store->meta(kLegacyImportKey);
  ASSERT_TRUE(guard);
  EXPECT_FALSE(guard->has_value());  // a file that appears later is still imported
  auto cursor = legacyDefaultCursor(*store);
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, std::nullopt);
}

TEST_F(Fixture, BrokenFilesAreClearErrorsThatChangeNothing) {
  const auto good = readBytes(importerPickle(5));
  struct Case {
    std::string name;
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases{
      {"empty", "", "the file is empty"},
      {"truncated", good.substr(0, good.size() / 2), "truncated pickle"},
      {"garbage", "\x89PNG\r\n\x1a\n not a pickle at all", "opcode PERSID (0x50) is not supported"},
      {"json", "{}", "it is not a pickle file (it starts with \"{}\")"},
      {"text", "--- last event: 12\n",
       "it is not a pickle file (it starts with \"--- last event: 12\\x0a\")"},
      {"hostile", "cos\nsystem\n(S'true'\ntR.", "global os.system is not allowed"},
  };
  for (const auto& c : cases) {
    const auto path = dir.file(c.name);
    writeBytes(path, c.bytes);
    auto report = import(path);
    ASSERT_FALSE(report) << c.name;
    EXPECT_NE(report.error().message.find("cannot import the original daemon's eventIdFile " + path),
              std::string::npos)
        << report.error().message;
    EXPECT_NE(report.error().message.find(c.message), std::string::npos)
        << c.name << ": " << report.error().message;
  }
  auto list = import(pythonPickle(dir, "list", "pickled_list", {"5"}));
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message.find("holds a pickled list, not the dict"), std::string::npos)
      << list.error().message;
  auto directory = import(dir.file(""));
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos)
      << directory.error().message;

  EXPECT_TRUE(checkpoints().empty());
  auto guard = store->meta(kLegacyImportKey);
  ASSERT_TRUE(guard);
  EXPECT_FALSE(guard->has_value());
  // and once the operator fixes the file, the import happens
  const auto fixed = dir.file("fixed");
  writeBytes(fixed, good);
  auto report = import(fixed);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->imported.size(), 4u);
}

TEST_F(Fixture, ExpiryIsNaiveLocalTime) {
  // A fixed zone with DST so the test means the same everywhere.
  const char* previous = std::getenv("TZ");
  const std::string saved = previous ? previous : "";
  ::setenv("TZ", "America/New_York", 1);
  ::tzset();
  FixedClock early(epoch(1'700'000'000));  // 2023: every expiry in the file is in the future
  auto report = importLegacyState(pythonPickle(dir, "fold", "fold"), *store, *log, early);
  if (previous) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  ASSERT_TRUE(report) << report.error().message;
  const auto all = checkpoints();
  ASSERT_EQ(all.size(), 1u);
  // 2030-11-03 01:30 happens twice in New York: fold=0 is EDT (05:30Z), fold=1 is EST (06:30Z)
  const std::vector<GapRange> gaps{{50, 50, epoch(1'919'917'800)}, {51, 51, epoch(1'919'914'200)}};
  EXPECT_EQ(all[0].gaps, gaps);
}

// Regression: 1500-01-01 overflowed the nanosecond TimePoint and wrapped into the future, so it was kept
// while 2000-01-01 was dropped. Every expiry now meets the same rule, whatever its year.
TEST_F(Fixture, ExpiriesOfAnyYearAreJudgedByTheSameRule) {
  const char* previous = std::getenv("TZ");
  const std::string saved = previous ? previous : "";
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  const auto path = dir.file("years");
  // {'/p': {'a': [10, {3: datetime(1500,1,1), 4: datetime(2000,1,1), 5: datetime(3000,1,1),
  //                    6: datetime(2050,1,1)}]}}
  const auto at = [](const std::string& yearBytes) {
    return "cdatetime\ndatetime\nC\n" + yearBytes + "\x01\x01\x00\x00\x00\x00\x00\x00\x85R"s;
  };
  writeBytes(path, "\x80\x02}X\x02\x00\x00\x00/p}X\x01\x00\x00\x00"s + "a](K\x0a}(" + "K\x03" +
                       at("\x05\xdc") + "K\x04" + at("\x07\xd0") + "K\x05" + at("\x0b\xb8") + "K\x06" +
                       at("\x08\x02") + "uess."s);
  auto report = import(path);
  if (previous) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->expiredBacklogIds, 2u);  // 1500 and 2000 are both before the clock's 2030
  const auto all = checkpoints();
  ASSERT_EQ(all.size(), 1u);
  // 3000 is still ahead: kept, stored as the latest expiry a TimePoint is given (2200-01-01 UTC).
  const std::vector<GapRange> gaps{{5, 5, epoch(7'258'118'400)}, {6, 6, epoch(2'524'608'000)}};
  EXPECT_EQ(all[0].gaps, gaps);
}

TEST_F(Fixture, HandEditedListsAndOddEntriesAreReported) {
  const auto path = dir.file("odd");
  // {'/p': {'a': [7, {3: datetime(2031,1,1)}], 'b': 'x', 'c': (1, 2, 3), 'd': (True, {}),
  //         'e': (9, {'k': 1, 4: 5})}, 7: {}}
  writeBytes(path,
             "\x80\x02}(X\x02\x00\x00\x00/p}(X\x01\x00\x00\x00"
             "a](K\x07}K\x03"
             "cdatetime\ndatetime\n"
             "C\n\x07\xef\x01\x01\x00\x00\x00\x00\x00\x00\x85Rse"
             "X\x01\x00\x00\x00"
             "bX\x01\x00\x00\x00"
             "x"
             "X\x01\x00\x00\x00"
             "cK\x01K\x02K\x03\x87"
             "X\x01\x00\x00\x00"
             "d\x88}\x86"
             "X\x01\x00\x00\x00"
             "eK\x09}(X\x01\x00\x00\x00"
             "kK\x01K\x04K\x05u\x86"
             "uK\x07}u."s);
  auto report = import(path);
  ASSERT_TRUE(report) << report.error().message;
  const auto all = checkpoints();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(find(all, "/p", "a")->cursor, 7);
  EXPECT_EQ(find(all, "/p", "a")->gaps.size(), 1u);
  EXPECT_EQ(find(all, "/p", "e")->cursor, 9);
  EXPECT_EQ(report->warnings.size(), 5u);  // key 7, b, c, d, and e's two odd backlog entries
  bool entries = false;
  for (const auto& w : report->warnings) {
    entries |= w.find("2 backlog entries not of the form") != std::string::npos;
    EXPECT_EQ(w.find("entrys"), std::string::npos) << w;
  }
  EXPECT_TRUE(entries);
  EXPECT_GE(logs.sink().count("Importing " + path + ": "), 5u);
}

TEST_F(Fixture, AnOutOfRangeEntryIsSkippedAndNamedWhileTheRestIsImported) {
  const auto path = dir.file("big");
  // {'/p': {'a': (2**64, None), 'b': (12, {2**64: datetime(2031,1,1), 5: datetime(2031,1,1)})}}
  const std::string big = "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01"s;
  const std::string date = "cdatetime\ndatetime\nC\n\x07\xef\x01\x01\x00\x00\x00\x00\x00\x00\x85R"s;
  writeBytes(path, "\x80\x02}(X\x02\x00\x00\x00/p}("s + "X\x01\x00\x00\x00"s + "a" + big + "N\x86" +
                       "X\x01\x00\x00\x00"s + "bK\x0c}(" + big + date + "K\x05" + date + "u\x86" + "uu.");
  auto report = import(path);
  ASSERT_TRUE(report) << report.error().message;
  const auto all = checkpoints();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(find(all, "/p", "b")->cursor, 12);
  ASSERT_EQ(find(all, "/p", "b")->gaps.size(), 1u);
  EXPECT_EQ(find(all, "/p", "b")->gaps[0].first, 5);
  EXPECT_EQ(report->warnings,
            (std::vector<std::string>{
                "/p a: lastEventId 18446744073709551616 is out of the range of event ids: ignored",
                "/p b: backlog id 18446744073709551616 is out of the range of event ids: ignored"}));
}

TEST_F(Fixture, TrailingSlashesInCollectionPathsAreDroppedLikeTheConfigDoes) {
  const auto path = dir.file("slashes");
  // {'/p/': {'a': (7, None)}, '/p': {'a': (9, None)}, '/q//': 4}
  writeBytes(path,
             "\x80\x02}(X\x03\x00\x00\x00/p/}X\x01\x00\x00\x00"
             "aK\x07N\x86s"
             "X\x02\x00\x00\x00/p}X\x01\x00\x00\x00"
             "aK\x09N\x86s"
             "X\x04\x00\x00\x00/q//K\x04u."s);
  auto report = import(path);
  ASSERT_TRUE(report) << report.error().message;
  const auto all = checkpoints();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(find(all, "/p", "a")->cursor, 9) << "one position for both spellings, the later one";
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_NE(report->warnings[0].find("/p a: in the file twice"), std::string::npos) << report->warnings[0];
  auto q = legacyDefaultCursor(*store, "/q");
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, std::optional<std::int64_t>(4));
}

}  // namespace
}  // namespace sgeventd::legacy
