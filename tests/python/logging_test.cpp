// Python logging reaches the daemon's log factory; plugin.<name> gets the configured level once and a
// plugin's own logger.setLevel takes effect in the daemon's files (spec §5.1).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "logging/file_log_factory.h"
#include "python_support.h"

namespace sgeventd::plugins::python {
namespace {

using namespace testing;

std::string readAll(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PythonLogging, RecordsReachTheFactoryUnderTheirLoggerNames) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "names", R"PY(
import logging

def cb(sg, logger, event, args):
    logger.warning("from the callback %d", event["id"])
    try:
        1 / 0
    except ZeroDivisionError:
        logger.exception("with exception text")
    logging.getLogger("some.library").error("library line")

def registerCallbacks(reg):
    reg.logger.info("from registerCallbacks")
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  auto event = makeEvent(9);
  ASSERT_TRUE((*plugin)->invoke(0, event, {}).ok());
  auto reg = host.records("from registerCallbacks");
  ASSERT_EQ(reg.size(), 1u);
  EXPECT_EQ(reg[0].logger, "plugin.names");
  EXPECT_EQ(reg[0].level, core::LogLevel::Info);
  auto cb = host.records("from the callback 9");
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_EQ(cb[0].logger, "plugin.names.cb");
  EXPECT_EQ(cb[0].level, core::LogLevel::Warning);
  auto exc = host.records("with exception text");
  ASSERT_EQ(exc.size(), 1u);
  EXPECT_EQ(exc[0].level, core::LogLevel::Error);
  EXPECT_NE(exc[0].message.find("ZeroDivisionError"), std::string::npos);
  auto library = host.records("library line");
  ASSERT_EQ(library.size(), 1u);
  EXPECT_EQ(library[0].logger, "some.library");
}

TEST(PythonLogging, ConfiguredLevelAndPluginSetLevelReachTheLogFiles) {
  TempDir dir;
  TempDir logDir;
  logging::LogSettings logSettings;
  logSettings.logMode = 1;
  logSettings.logPath = logDir.path();
  logSettings.level = core::LogLevel::Info;
  auto factory = logging::FileLogFactory::create(logSettings);
  ASSERT_TRUE(factory.has_value()) << factory.error().message;
  auto files = *factory;

  PythonSettings settings;
  settings.level = core::LogLevel::Info;
  settings.setLogLevel = [files](const std::string& name, core::LogLevel level) {
    files->setLevel(name, level);
  };
  auto loader = makeLoader(settings);
  HostContext context{files, nullptr, false};

  const std::string body = R"PY(
import logging

def cb(sg, logger, event, args):
    logger.debug("debug line of %s", logger.name)
    logger.info("info line of %s", logger.name)

def registerCallbacks(reg):
    assert reg.logger.level == logging.INFO, reg.logger.level
    LOWER
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY";
  auto withLower = [&](const std::string& lower) {
    std::string text = body;
    text.replace(text.find("LOWER"), 5, lower);
    return text;
  };
  auto quiet = loader->load(writePlugin(dir, "quiet", withLower("pass")), context);
  ASSERT_TRUE(quiet.has_value()) << errorOf(quiet);
  auto chatty =
      loader->load(writePlugin(dir, "chatty", withLower("reg.logger.setLevel(logging.DEBUG)")), context);
  ASSERT_TRUE(chatty.has_value()) << errorOf(chatty);
  auto event = makeEvent(3);
  ASSERT_TRUE((*quiet)->invoke(0, event, {}).ok());
  ASSERT_TRUE((*chatty)->invoke(0, event, {}).ok());

  const auto quietLog = readAll(files->pluginLogPath("quiet"));
  EXPECT_NE(quietLog.find("plugin.quiet.cb - INFO - info line of plugin.quiet.cb"), std::string::npos)
      << quietLog;
  EXPECT_EQ(quietLog.find("debug line"), std::string::npos) << quietLog;
  const auto chattyLog = readAll(files->pluginLogPath("chatty"));
  EXPECT_NE(chattyLog.find("plugin.chatty.cb - DEBUG - debug line of plugin.chatty.cb"), std::string::npos)
      << chattyLog;
  // The level was mirrored on plugin.chatty itself, so the daemon's own DEBUG lines for it show too.
  EXPECT_TRUE(files->get("plugin.chatty")->enabled(core::LogLevel::Debug));
  EXPECT_FALSE(files->get("plugin.quiet")->enabled(core::LogLevel::Debug));
}

TEST(PythonLogging, SetLevelReachesTheDaemonsLoggersAtOnce) {
  TempDir dir;
  TempDir logDir;
  logging::LogSettings logSettings;
  logSettings.logMode = 1;
  logSettings.logPath = logDir.path();
  logSettings.level = core::LogLevel::Info;
  auto factory = logging::FileLogFactory::create(logSettings);
  ASSERT_TRUE(factory.has_value()) << factory.error().message;
  auto files = *factory;
  PythonSettings settings;
  settings.level = core::LogLevel::Info;
  settings.setLogLevel = [files](const std::string& name, core::LogLevel level) {
    files->setLevel(name, level);
  };
  auto loader = makeLoader(settings);
  HostContext context{files, nullptr, false};

  // Neither plugin ever logs: the daemon's own DEBUG lines on its loggers (`Dispatching event N to
  // callback X.`) must follow the level all the same.
  auto plugin = loader->load(writePlugin(dir, "silent_debug", R"PY(
import logging

def cb(sg, logger, event, args):
    pass

def registerCallbacks(reg):
    reg.logger.setLevel(logging.DEBUG)
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                             context);
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  EXPECT_TRUE(files->get("plugin.silent_debug")->enabled(core::LogLevel::Debug));
  EXPECT_TRUE(files->get("plugin.silent_debug.cb")->enabled(core::LogLevel::Debug));

  auto callbackLevel = loader->load(writePlugin(dir, "callback_level", R"PY(
import logging

def cb(sg, logger, event, args):
    logger.setLevel(logging.WARNING if event["id"] == 2 else logging.DEBUG)

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                                    context);
  ASSERT_TRUE(callbackLevel.has_value()) << errorOf(callbackLevel);
  EXPECT_FALSE(files->get("plugin.callback_level.cb")->enabled(core::LogLevel::Debug));
  ASSERT_TRUE((*callbackLevel)->invoke(0, makeEvent(1), {}).ok());
  EXPECT_TRUE(files->get("plugin.callback_level.cb")->enabled(core::LogLevel::Debug));
  EXPECT_FALSE(files->get("plugin.callback_level")->enabled(core::LogLevel::Debug));  // only the callback's
  // Raising it again is mirrored too, as the original's lines went through this very logger.
  ASSERT_TRUE((*callbackLevel)->invoke(0, makeEvent(2), {}).ok());
  EXPECT_FALSE(files->get("plugin.callback_level.cb")->enabled(core::LogLevel::Info));
  EXPECT_TRUE(files->get("plugin.callback_level.cb")->enabled(core::LogLevel::Warning));
}

}  // namespace
}  // namespace sgeventd::plugins::python
