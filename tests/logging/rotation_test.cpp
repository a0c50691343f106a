#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "logging/file_log_factory.h"
#include "logging/midnight_rotating_file.h"
#include "support.h"

namespace sgeventd::logging {
namespace {

using namespace testing;
using std::chrono::hours;
using std::chrono::seconds;

std::vector<std::string> folderNames(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// 2026-11-22 00:00:00 UTC
constexpr double kNov22 = 1795305600;

TEST(MidnightRotation, NextLocalMidnight) {
  ScopedTimeZone utc("UTC");
  EXPECT_EQ(nextLocalMidnight(epoch(kNov22 + 5)), epoch(kNov22 + 86400));
  EXPECT_EQ(nextLocalMidnight(epoch(kNov22)), epoch(kNov22 + 86400));
  EXPECT_EQ(nextLocalMidnight(epoch(kNov22 - 0.5)), epoch(kNov22));
  ScopedTimeZone paris("CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_EQ(nextLocalMidnight(epoch(kNov22 + 5)), epoch(kNov22 + 86400 - 3600));
  // 2026-03-29 is 23 hours long in Paris: midnight after 03-28 12:00 local.
  EXPECT_EQ(nextLocalMidnight(epoch(1774695600)), epoch(1774738800));
}

TEST(MidnightRotation, RenamesToTheDayThatEndedAndKeepsTen) {
  ScopedTimeZone utc("UTC");
  TempDir dir;
  auto clock = std::make_shared<FakeClock>(epoch(kNov22 + 86400 - 1));  // 23:59:59 on the 22nd
  LogSettings settings;
  settings.logMode = 1;
  settings.logPath = dir.path();
  settings.logFile = "sgeventd.log";
  settings.timingLog = true;
  settings.clock = clock;
  auto factory = FileLogFactory::create(settings);
  ASSERT_TRUE(factory) << factory.error().message;
  auto engine = (*factory)->get("engine");
  auto plugin = (*factory)->get("plugin.rec");
  engine->info("before midnight");
  plugin->info("plugin before midnight");

  clock->set(epoch(kNov22 + 86400 + 1));  // 00:00:01 on the 23rd
  engine->info("after midnight");
  EXPECT_EQ(readFile(dir.path() / "sgeventd.log.2026-11-22"),
            "2026-11-22 23:59:59,000 - engine - INFO - before midnight\n");
  EXPECT_EQ(readFile(dir.path() / "sgeventd.log"),
            "2026-11-23 00:00:01,000 - engine - INFO - after midnight\n");
  // Each file rotates at its own first write after midnight.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "plugin.rec.2026-11-22"));
  plugin->info("plugin after midnight");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "plugin.rec.2026-11-22"));

  // Fourteen more days, one line a day: only the ten newest dated main logs stay.
  for (int day = 1; day <= 14; ++day) {
    clock->set(epoch(kNov22 + 86400.0 * (day + 1) + 3600));
    engine->info("day " + std::to_string(day));
  }
  std::vector<std::string> mainBackups;
  for (const auto& name : folderNames(dir.path())) {
    if (name.rfind("sgeventd.log.20", 0) == 0) {
      mainBackups.push_back(name);
    }
  }
  ASSERT_EQ(mainBackups.size(), 10u);
  EXPECT_EQ(mainBackups.front(), "sgeventd.log.2026-11-27");
  EXPECT_EQ(mainBackups.back(), "sgeventd.log.2026-12-06");
  EXPECT_EQ(readFile(dir.path() / "sgeventd.log"), "2026-12-07 01:00:00,000 - engine - INFO - day 14\n");
  // The timing log and the plugin file are other files: their backups are not counted with the main one.
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "plugin.rec.2026-11-22"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "sgeventd.log.timing"));
}

TEST(MidnightRotation, AnOldFileRotatesAtTheFirstWriteAfterItsMidnight) {
  ScopedTimeZone utc("UTC");
  TempDir dir;
  const auto path = dir.path() / "old.log";
  std::ofstream(path) << "from three days ago\n";
  const auto mtime = static_cast<std::time_t>(kNov22 + 3600);  // 01:00 on the 22nd
  struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  auto clock = std::make_shared<FakeClock>(epoch(kNov22 + 3 * 86400 + 60));
  auto file = MidnightRotatingFile::open(path.string(), clock);
  ASSERT_TRUE(file) << file.error().message;
  (*file)->write("today\n");
  EXPECT_EQ(readFile(dir.path() / "old.log.2026-11-22"), "from three days ago\n");
  EXPECT_EQ(readFile(path), "today\n");
  (*file)->write("again\n");
  EXPECT_EQ(readFile(path), "today\nagain\n");
  EXPECT_EQ(folderNames(dir.path()), (std::vector<std::string>{"old.log", "old.log.2026-11-22"}));
}

// log_rotation: off. The files are never renamed; after logrotate renamed them, SIGUSR1 makes the
// daemon call reopenFiles(), and the next lines go to new files at the old paths.
TEST(MidnightRotation, OffLeavesRotationToLogrotateAndReopenFollowsTheRename) {
  ScopedTimeZone utc("UTC");
  TempDir dir;
  auto clock = std::make_shared<FakeClock>(epoch(kNov22 + 86400 - 1));
  LogSettings settings;
  settings.logMode = 1;
  settings.logPath = dir.path();
  settings.logFile = "sgeventd.log";
  settings.midnightRotation = false;
  settings.clock = clock;
  auto factory = FileLogFactory::create(settings);
  ASSERT_TRUE(factory) << factory.error().message;
  auto engine = (*factory)->get("engine");
  auto plugin = (*factory)->get("plugin.rec");
  engine->info("before midnight");
  plugin->info("plugin before midnight");
  clock->set(epoch(kNov22 + 86400 + 1));
  engine->info("after midnight");
  EXPECT_EQ(folderNames(dir.path()), (std::vector<std::string>{"plugin.rec", "sgeventd.log"}));

  // logrotate's rename: the open descriptors still write to the renamed files until reopened.
  std::filesystem::rename(dir.path() / "sgeventd.log", dir.path() / "sgeventd.log.1");
  std::filesystem::rename(dir.path() / "plugin.rec", dir.path() / "plugin.rec.1");
  engine->info("still the old file");
  EXPECT_TRUE((*factory)->reopenFiles().empty());
  engine->info("new file");
  plugin->info("plugin new file");
  EXPECT_EQ(readFile(dir.path() / "sgeventd.log.1"),
            "2026-11-22 23:59:59,000 - engine - INFO - before midnight\n"
            "2026-11-23 00:00:01,000 - engine - INFO - after midnight\n"
            "2026-11-23 00:00:01,000 - engine - INFO - still the old file\n");
  EXPECT_EQ(readFile(dir.path() / "sgeventd.log"), "2026-11-23 00:00:01,000 - engine - INFO - new file\n");
  EXPECT_EQ(readFile(dir.path() / "plugin.rec"),
            "2026-11-23 00:00:01,000 - plugin.rec - INFO - plugin new file\n");
}

TEST(MidnightRotation, ReopenReportsAFileItCannotOpen) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "logs");
  auto file = MidnightRotatingFile::open((dir.path() / "logs" / "a.log").string(), nullptr);
  ASSERT_TRUE(file) << file.error().message;
  std::filesystem::remove(dir.path() / "logs" / "a.log");
  std::filesystem::remove(dir.path() / "logs");
  auto reopened = (*file)->reopen();
  ASSERT_FALSE(reopened);
  EXPECT_THAT(reopened.error().message, ::testing::HasSubstr("cannot open log file"));
  (*file)->write("dropped, not a crash\n");
}

}  // namespace
}  // namespace sgeventd::logging
