#include "logging/file_log_factory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "support.h"

namespace sgeventd::logging {
namespace {

using namespace testing;
using core::LogLevel;

class FileLogFactoryTest : public ::testing::Test {
 protected:
  ScopedTimeZone utc_{"UTC"};
  TempDir dir_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>(epoch(1795325385.483650));

  LogSettings settings(int logMode) const {
    LogSettings s;
    s.logMode = logMode;
    s.logPath = dir_.path() / "logs";
    s.logFile = "sgeventd.log";
    s.level = LogLevel::Info;
    s.clock = clock_;
    return s;
  }
  std::shared_ptr<FileLogFactory> make(LogSettings s) {
    auto factory = FileLogFactory::create(std::move(s));
    EXPECT_TRUE(factory) << (factory ? "" : factory.error().message);
    return factory ? *factory : nullptr;
  }
  std::string mainLog() const { return readFile(dir_.path() / "logs" / "sgeventd.log"); }
  std::string pluginLog(const std::string& name) const {
    return readFile(dir_.path() / "logs" / ("plugin." + name));
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(dir_.path() / "logs" / name); }
};

constexpr const char* kStamp = "2026-11-22 05:29:45,483";

TEST_F(FileLogFactoryTest, LogModeOneGivesEachPluginItsOwnFile) {
  auto factory = make(settings(1));
  ASSERT_TRUE(factory);
  factory->get("engine")->info("Starting the event processing loop.");
  factory->get("plugin.rec")->info("Could not load");
  factory->get("plugin.rec.cb")->warning("from the callback");
  factory->get("plugin.other")->error("other plugin");
  EXPECT_EQ(mainLog(), std::string(kStamp) + " - engine - INFO - Starting the event processing loop.\n");
  EXPECT_EQ(pluginLog("rec"), std::string(kStamp) + " - plugin.rec - INFO - Could not load\n" + kStamp +
                                  " - plugin.rec.cb - WARNING - from the callback\n");
  EXPECT_EQ(pluginLog("other"), std::string(kStamp) + " - plugin.other - ERROR - other plugin\n");
  EXPECT_EQ(factory->mainLogPath(), dir_.path() / "logs" / "sgeventd.log");
  EXPECT_FALSE(exists("sgeventd.log.timing"));
}

TEST_F(FileLogFactoryTest, LogModeZeroSendsEverythingToTheMainLog) {
  auto factory = make(settings(0));
  ASSERT_TRUE(factory);
  factory->get("engine")->info("engine line");
  factory->get("plugin.rec")->info("plugin line");
  factory->get("plugin.rec.cb")->info("callback line");
  factory->get("shotgun_api3")->info("library info is below root's WARNING");
  factory->get("shotgun_api3")->warning("library warning");
  EXPECT_EQ(mainLog(), std::string(kStamp) + " - engine - INFO - engine line\n" + kStamp +
                           " - plugin.rec - INFO - plugin line\n" + kStamp +
                           " - plugin.rec.cb - INFO - callback line\n" + kStamp +
                           " - shotgun_api3 - WARNING - library warning\n");
  EXPECT_FALSE(exists("plugin.rec"));
}

TEST_F(FileLogFactoryTest, OtherLogModesGivePluginsNoFile) {
  auto factory = make(settings(2));
  ASSERT_TRUE(factory);
  factory->get("engine")->info("engine line");
  factory->get("plugin.rec")->error("lost");
  EXPECT_EQ(mainLog(), std::string(kStamp) + " - engine - INFO - engine line\n");
  EXPECT_FALSE(exists("plugin.rec"));
}

TEST_F(FileLogFactoryTest, ForegroundAddsStderrOnTopOfTheFiles) {
  const auto streamPath = dir_.path() / "stderr";
  const int fd = ::open(streamPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  auto s = settings(1);
  s.foreground = true;
  s.foregroundFd = fd;
  auto factory = make(s);
  ASSERT_TRUE(factory);
  factory->get("engine")->info("engine line");
  factory->get("plugin.rec.cb")->warning("callback line");
  ::close(fd);
  EXPECT_EQ(readFile(streamPath), "INFO:engine:engine line\nWARNING:plugin.rec.cb:callback line\n");
  EXPECT_EQ(mainLog(), std::string(kStamp) + " - engine - INFO - engine line\n");
  EXPECT_EQ(pluginLog("rec"), std::string(kStamp) + " - plugin.rec.cb - WARNING - callback line\n");
}

TEST_F(FileLogFactoryTest, LevelsFilterAndAPluginLevelPersists) {
  auto factory = make(settings(1));
  ASSERT_TRUE(factory);
  auto engine = factory->get("engine");
  auto plugin = factory->get("plugin.rec");
  auto callback = factory->get("plugin.rec.cb");
  EXPECT_FALSE(engine->enabled(LogLevel::Debug));
  EXPECT_TRUE(engine->enabled(LogLevel::Info));
  plugin->debug("dropped");
  callback->debug("dropped too");
  factory->setLevel("plugin.rec", LogLevel::Debug);
  EXPECT_TRUE(callback->enabled(LogLevel::Debug));  // the callback follows its plugin
  callback->debug("kept");
  engine->debug("engine debug dropped");
  // The host asks again after a reload: same logger, same level.
  EXPECT_EQ(factory->get("plugin.rec"), plugin);
  factory->get("plugin.rec")->debug("after reload");
  factory->setLevel("plugin.rec.cb", LogLevel::Error);
  callback->warning("callback now filters on its own");
  EXPECT_EQ(pluginLog("rec"), std::string(kStamp) + " - plugin.rec.cb - DEBUG - kept\n" + kStamp +
                                  " - plugin.rec - DEBUG - after reload\n");
  EXPECT_EQ(mainLog(), "");

  auto quiet = settings(0);
  quiet.logFile = "quiet.log";
  quiet.level = LogLevel::Error;
  auto strict = make(quiet);
  strict->get("engine")->warning("dropped");
  strict->get("plugin.x")->critical("kept");
  EXPECT_EQ(readFile(dir_.path() / "logs" / "quiet.log"),
            std::string(kStamp) + " - plugin.x - CRITICAL - kept\n");
}

TEST_F(FileLogFactoryTest, TimingLogHasItsFileAndPropagatesToRoot) {
  auto s = settings(0);
  s.timingLog = true;
  auto factory = make(s);
  ASSERT_TRUE(factory);
  factory->get("timing")->info("event_id=1");
  EXPECT_EQ(readFile(factory->timingLogPath()), std::string(kStamp) + " - timing - INFO - event_id=1\n");
  EXPECT_EQ(mainLog(), std::string(kStamp) + " - timing - INFO - event_id=1\n");

  auto modeOne = settings(1);
  modeOne.logFile = "one.log";
  modeOne.timingLog = true;
  auto second = make(modeOne);
  second->get("timing")->info("event_id=2");
  EXPECT_EQ(readFile(dir_.path() / "logs" / "one.log.timing"),
            std::string(kStamp) + " - timing - INFO - event_id=2\n");
  EXPECT_EQ(readFile(dir_.path() / "logs" / "one.log"), "");  // root has no file in logMode 1
}

TEST_F(FileLogFactoryTest, EveryLineIsOnDiskBeforeTheFactoryCloses) {
  auto factory = make(settings(1));
  ASSERT_TRUE(factory);
  auto engine = factory->get("engine");
  engine->error("An error occured processing an event.\n\nTraceback:\n  line 1");
  EXPECT_EQ(mainLog(),
            std::string(kStamp) +
                " - engine - ERROR - An error occured processing an event.\n\nTraceback:\n  line 1\n");
  engine->info("second");
  EXPECT_NE(mainLog().find("second\n"), std::string::npos);
}

TEST_F(FileLogFactoryTest, ConcurrentWritersNeverInterleaveWithinALine) {
  auto factory = make(settings(0));
  ASSERT_TRUE(factory);
  constexpr int kThreads = 4;
  constexpr int kLines = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto logger = factory->get("plugin.p" + std::to_string(t) + ".cb");
      for (int i = 0; i < kLines; ++i) {
        logger->info("thread " + std::to_string(t) + " line " + std::to_string(i) + std::string(100, 'x'));
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const auto all = lines(mainLog());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kLines));
  const std::regex shape(R"(2026-11-22 05:29:45,483 - plugin\.p\d\.cb - INFO - thread \d line \d+x{100})");
  for (const auto& line : all) {
    ASSERT_TRUE(std::regex_match(line, shape)) << line;
  }
}

TEST_F(FileLogFactoryTest, CreatesLogPathAndRejectsAFile) {
  auto s = settings(1);
  s.logPath = dir_.path() / "deep" / "er" / "logs";
  auto factory = make(s);
  ASSERT_TRUE(factory);
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() / "deep" / "er" / "logs"));
  EXPECT_EQ(factory->pluginLogPath("rec"), dir_.path() / "deep" / "er" / "logs" / "plugin.rec");

  std::ofstream(dir_.path() / "afile") << "x";
  s.logPath = dir_.path() / "afile";
  auto refused = FileLogFactory::create(s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "logPath " + (dir_.path() / "afile").string() + " is a file, not a folder");

  s.logPath.reset();
  s.logFile = (dir_.path() / "plain.log").string();
  auto noPath = make(s);
  ASSERT_TRUE(noPath);
  noPath->get("engine")->info("x");
  EXPECT_EQ(readFile(dir_.path() / "plain.log"), std::string(kStamp) + " - engine - INFO - x\n");
}

}  // namespace
}  // namespace sgeventd::logging
