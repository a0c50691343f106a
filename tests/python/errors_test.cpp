// Load errors of each kind, registerCallbacks errors, and failures inside callbacks (spec §3.2, §3.4).
#include <gtest/gtest.h>

#include "python_support.h"

namespace sgeventd::plugins::python {
namespace {

using namespace testing;

struct LoadCase {
  const char* label;
  const char* source;
  LoadErrorKind kind;
  const char* needle;
};

TEST(PythonErrors, EachLoadFailureIsAnErrorWithItsTraceback) {
  const std::vector<LoadCase> cases = {
      {"syntax", "def registerCallbacks(reg)\n    pass\n", LoadErrorKind::Load, "SyntaxError"},
      {"import", "import no_such_module_sgeventd\n", LoadErrorKind::Load,
       "ModuleNotFoundError: No module named 'no_such_module_sgeventd'"},
      {"raises", "raise RuntimeError('boom at import')\n", LoadErrorKind::Load,
       "RuntimeError: boom at import"},
      {"keyboard", "raise KeyboardInterrupt()\n", LoadErrorKind::Load, "KeyboardInterrupt"},
      {"exit", "import sys\nsys.exit(3)\n", LoadErrorKind::Load, "SystemExit: 3"},
      {"missing", "x = 1\n", LoadErrorKind::MissingEntry, "registerCallbacks"},
      {"notcallable", "registerCallbacks = 5\n", LoadErrorKind::MissingEntry, "int"},
      {"regraises", "def registerCallbacks(reg):\n    raise ValueError('bad config')\n",
       LoadErrorKind::Registration, "ValueError: bad config"},
      {"regexit", "def registerCallbacks(reg):\n    raise SystemExit(1)\n", LoadErrorKind::Registration,
       "SystemExit"},
      {"badcallback", "def registerCallbacks(reg):\n    reg.registerCallback('n', 'k', 'not callable')\n",
       LoadErrorKind::Registration,
       "TypeError: The callback must be a callable object (function, method or callable class instance)."},
      {"badattr", "def registerCallbacks(reg):\n    reg.setLevel(10)\n", LoadErrorKind::Registration,
       "AttributeError: type object 'Registrar' has no attribute 'setLevel'"},
  };
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  for (const auto& c : cases) {
    auto loaded = loader->load(writePlugin(dir, c.label, c.source), host.context());
    ASSERT_FALSE(loaded.has_value()) << c.label;
    EXPECT_EQ(loaded.error().code, static_cast<int>(c.kind)) << c.label << ": " << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(c.needle), std::string::npos)
        << c.label << ": " << loaded.error().message;
    if (c.kind != LoadErrorKind::MissingEntry) {
      EXPECT_NE(loaded.error().message.find("Traceback"), std::string::npos) << c.label;
    }
  }
  // A directory named like a plugin is not a valid file.
  std::filesystem::create_directory(dir.path() / "folder.py");
  auto folder = loader->load(idFor(dir.path() / "folder.py"), host.context());
  ASSERT_FALSE(folder.has_value());
  EXPECT_NE(folder.error().message.find("The path to the plugin is not a valid file"), std::string::npos);
  // The interpreter survived all of that.
  auto good =
      loader->load(writePlugin(dir, "fine", "def registerCallbacks(reg):\n    pass\n"), host.context());
  EXPECT_TRUE(good.has_value()) << errorOf(good);
}

TEST(PythonErrors, CallbackExceptionLogsTracebackAndOuterFrameLocals) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "failing", R"PY(
def helper(value):
    raise ValueError("no good: %s" % value)

def cb(sg, logger, event, args):
    secret_local = 4242
    helper(event["id"])

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  auto event = makeEvent(5);
  auto outcome = (*plugin)->invoke(0, event, {});
  EXPECT_FALSE(outcome.ok());
  EXPECT_NE(outcome.message.find("ValueError: no good: 5"), std::string::npos) << outcome.message;
  auto records = host.records("An error occured processing an event.");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].logger, "plugin.failing.cb");
  EXPECT_EQ(records[0].level, core::LogLevel::Critical);
  EXPECT_NE(records[0].message.find("Traceback (most recent call last)"), std::string::npos);
  EXPECT_NE(records[0].message.find("Local variables at outer most frame in plugin:"), std::string::npos);
  EXPECT_NE(records[0].message.find("'secret_local': 4242"), std::string::npos) << records[0].message;
}

TEST(PythonErrors, NoPluginFrameWrongSignatureAndInterruptsAreFailuresNotCrashes) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "odd", R"PY(
import sys

def three(sg, logger, event):
    pass

def interrupt(sg, logger, event, args):
    raise KeyboardInterrupt()

def leave(sg, logger, event, args):
    sys.exit(2)

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", three)
    reg.registerCallback("sgeventd", "sim-key", len)
    reg.registerCallback("sgeventd", "sim-key", interrupt)
    reg.registerCallback("sgeventd", "sim-key", leave)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  auto event = makeEvent(6);
  auto wrong = (*plugin)->invoke(0, event, {});
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message.find("TypeError"), std::string::npos) << wrong.message;
  auto builtin = (*plugin)->invoke(1, event, {});
  EXPECT_FALSE(builtin.ok());
  EXPECT_NE(builtin.message.find("TypeError"), std::string::npos) << builtin.message;
  auto records = host.records("Local variables at outer most frame in plugin:\n\n{}");
  EXPECT_EQ(records.size(), 2u);  // no plugin frame: an empty locals dict
  auto interrupted = (*plugin)->invoke(2, event, {});
  EXPECT_FALSE(interrupted.ok());
  EXPECT_NE(interrupted.message.find("KeyboardInterrupt"), std::string::npos);
  auto exited = (*plugin)->invoke(3, event, {});
  EXPECT_FALSE(exited.ok());
  EXPECT_NE(exited.message.find("SystemExit: 2"), std::string::npos) << exited.message;
  EXPECT_EQ(host.count("An error occured processing an event."), 4u);
  // Still alive and still working.
  EXPECT_FALSE((*plugin)->invoke(0, event, {}).ok());
}

}  // namespace
}  // namespace sgeventd::plugins::python
