// Load errors of each kind, registerCallbacks errors, and failures inside callbacks (spec §3.2, §3.4):
// transient exceptions (network, timeouts, HTTP 429/5xx) are retried, every other one is a plain failure.
#include <gtest/gtest.h>

#include <map>

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

// The daemon calls a callback itself, or through the bootstrap's run_callback when it sets the session
// uuid first: either way the traceback starts at the plugin's own frame and its locals are logged.
TEST(PythonErrors, TheTracebackStartsAtThePluginFrameWhicheverWayTheCallbackIsCalled) {
  for (const bool useSessionUuid : {false, true}) {
    SCOPED_TRACE(useSessionUuid ? "through run_callback" : "called directly");
    TempDir dir;
    auto loader = makeLoader();
    Host host;
    host.useSessionUuid = useSessionUuid;
    auto plugin = loader->load(writePlugin(dir, "raising", R"PY(
def cb(sg, logger, event, args):
    frame_local = "kept"
    raise RuntimeError("event %d" % event["id"])

def three(sg, logger, event):
    pass

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
    reg.registerCallback("sgeventd", "sim-key", three)
)PY"),
                               host.context());
    ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
    auto event = makeEvent(7);
    const auto raised = (*plugin)->invoke(0, event, {});
    EXPECT_EQ(raised.status, InvokeStatus::Error);
    const std::string header = "Traceback (most recent call last):\n  File \"";
    ASSERT_EQ(raised.message.rfind(header, 0), 0u) << raised.message;
    EXPECT_NE(raised.message.find("raising.py\", line 4, in cb"), std::string::npos) << raised.message;
    EXPECT_EQ(raised.message.find("bootstrap"), std::string::npos) << raised.message;
    EXPECT_NE(raised.message.find("RuntimeError: event 7"), std::string::npos) << raised.message;
    auto records = host.records("Local variables at outer most frame in plugin:");
    ASSERT_EQ(records.size(), 1u);
    EXPECT_NE(records[0].message.find("'frame_local': 'kept'"), std::string::npos) << records[0].message;
    // No plugin frame: the exception's line alone, and no locals.
    const auto wrong = (*plugin)->invoke(1, event, {});
    EXPECT_EQ(wrong.status, InvokeStatus::Error);
    EXPECT_EQ(wrong.message.rfind("TypeError: three() takes 3 positional arguments but 4 were given", 0), 0u)
        << wrong.message;
    EXPECT_EQ(host.count("Local variables at outer most frame in plugin:\n\n{}"), 1u);
  }
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

TEST(PythonErrors, TransientExceptionsAreRetriesAndEveryOtherExceptionIsAnError) {
  // A stand-in for shotgun_api3 (not installed here): its ProtocolError carries the HTTP status as errcode.
  TempDir packages;
  std::filesystem::create_directory(packages.path() / "shotgun_api3");
  writeFile(packages.path() / "shotgun_api3" / "__init__.py", R"PY(
class ShotgunError(Exception):
    pass

class ProtocolError(ShotgunError):
    def __init__(self, url, errcode, errmsg, headers=None):
        ShotgunError.__init__(self, url, errcode, errmsg)
        self.url, self.errcode, self.errmsg = url, errcode, errmsg

class Fault(ShotgunError):
    pass

class Shotgun(object):
    def __init__(self, *args, **kwargs):
        pass
)PY");
  PythonSettings settings;
  settings.sysPath = {packages.path().string()};
  auto loader = makeLoader(settings);
  TempDir dir;
  Host host;
  auto plugin = loader->load(writePlugin(dir, "transient", R"PY(
import errno, http.client, socket, ssl, urllib.error, xmlrpc.client
import shotgun_api3
import sgeventd_shotgun as sgs

class NoStatus(shotgun_api3.ProtocolError):
    def __init__(self):
        Exception.__init__(self, "a protocol error without errcode")

URL = "https://site.example.com/api3/json"
FAILURES = {
    # the daemon's own sg binding
    "sg_connection": lambda: sgs.ShotgunConnectionError("Connection failed: refused (curl 7)"),
    "sg_timeout": lambda: sgs.ShotgunTimeoutError("Timeout: no answer (curl 28)"),
    "sg_http_503": lambda: sgs.ProtocolError(URL, 503, "down for maintenance"),
    "sg_http_429": lambda: sgs.ProtocolError(URL, 429, "too many requests"),
    "sg_http_404": lambda: sgs.ProtocolError(URL, 404, "not found"),
    "sg_fault": lambda: sgs.Fault("API read() CRUD ERROR", 104),
    "sg_auth": lambda: sgs.AuthenticationFault("Can't authenticate script", 102),
    "sg_other": lambda: sgs.ShotgunError("Malformed response"),
    # a real shotgun_api3
    "api3_http_502": lambda: shotgun_api3.ProtocolError(URL, 502, "Bad Gateway"),
    "api3_http_400": lambda: shotgun_api3.ProtocolError(URL, 400, "Bad Request"),
    "api3_http_unknown": NoStatus,
    "api3_fault": lambda: shotgun_api3.Fault("API update() CRUD ERROR"),
    "xmlrpc_http_504": lambda: xmlrpc.client.ProtocolError(URL, 504, "Gateway Timeout", {}),
    "xmlrpc_http_403": lambda: xmlrpc.client.ProtocolError(URL, 403, "Forbidden", {}),
    # the network as Python reports it
    "reset": lambda: ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    "refused": lambda: ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
    "socket_timeout": lambda: socket.timeout("timed out"),
    "timeout": lambda: TimeoutError("The read operation timed out"),
    "dns": lambda: socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
    "unreachable": lambda: OSError(errno.ENETUNREACH, "Network is unreachable"),
    "ssl": lambda: ssl.SSLError(1, "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF in violation of protocol"),
    "ssl_certificate": lambda: ssl.SSLCertVerificationError(1, "certificate verify failed"),
    "remote_disconnected": lambda: http.client.RemoteDisconnected("Remote end closed connection"),
    "incomplete_read": lambda: http.client.IncompleteRead(b"partial"),
    "invalid_url": lambda: http.client.InvalidURL("nonnumeric port"),
    "url_error": lambda: urllib.error.URLError("no route"),
    "url_http_503": lambda: urllib.error.HTTPError(URL, 503, "Service Unavailable", {}, None),
    "url_http_404": lambda: urllib.error.HTTPError(URL, 404, "Not Found", {}, None),
    # everything else
    "file_not_found": lambda: FileNotFoundError(errno.ENOENT, "No such file or directory"),
    "permission": lambda: PermissionError(errno.EACCES, "Permission denied"),
    "value": lambda: ValueError("bad value"),
    "key": lambda: KeyError("entity"),
    "keyboard": KeyboardInterrupt,
    "exit": lambda: SystemExit(3),
}

def make(name, factory):
    def cb(sg, logger, event, args):
        raise factory()
    cb.__name__ = name
    return cb

def registerCallbacks(reg):
    # Still what code written for shotgun_api3 catches: ShotgunError, and the socket errors.
    assert isinstance(sgs.ShotgunConnectionError("x"), sgs.ShotgunError)
    assert isinstance(sgs.ShotgunConnectionError("x"), ConnectionError)
    assert isinstance(sgs.ShotgunTimeoutError("x"), socket.timeout)
    assert sgs.ShotgunConnectionError("x").transient and not sgs.Fault("x").transient
    for name in sorted(FAILURES):
        reg.registerCallback("sgeventd", "sim-key", make(name, FAILURES[name]))
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  const std::map<std::string, InvokeStatus> expected = {
      {"sg_connection", InvokeStatus::Retry},
      {"sg_timeout", InvokeStatus::Retry},
      {"sg_http_503", InvokeStatus::Retry},
      {"sg_http_429", InvokeStatus::Retry},
      {"sg_http_404", InvokeStatus::Error},
      {"sg_fault", InvokeStatus::Error},
      {"sg_auth", InvokeStatus::Error},
      {"sg_other", InvokeStatus::Error},
      {"api3_http_502", InvokeStatus::Retry},
      {"api3_http_400", InvokeStatus::Error},
      {"api3_http_unknown", InvokeStatus::Retry},
      {"api3_fault", InvokeStatus::Error},
      {"xmlrpc_http_504", InvokeStatus::Retry},
      {"xmlrpc_http_403", InvokeStatus::Error},
      {"reset", InvokeStatus::Retry},
      {"refused", InvokeStatus::Retry},
      {"socket_timeout", InvokeStatus::Retry},
      {"timeout", InvokeStatus::Retry},
      {"dns", InvokeStatus::Retry},
      {"unreachable", InvokeStatus::Retry},
      {"ssl", InvokeStatus::Retry},
      {"ssl_certificate", InvokeStatus::Error},
      {"remote_disconnected", InvokeStatus::Retry},
      {"incomplete_read", InvokeStatus::Retry},
      {"invalid_url", InvokeStatus::Error},
      {"url_error", InvokeStatus::Retry},
      {"url_http_503", InvokeStatus::Retry},
      {"url_http_404", InvokeStatus::Error},
      {"file_not_found", InvokeStatus::Error},
      {"permission", InvokeStatus::Error},
      {"value", InvokeStatus::Error},
      {"key", InvokeStatus::Error},
      {"keyboard", InvokeStatus::Error},
      {"exit", InvokeStatus::Error},
  };
  ASSERT_EQ((*plugin)->callbacks().size(), expected.size());
  std::size_t retries = 0;
  auto event = makeEvent(8);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string& name = (*plugin)->callbacks()[i].name;
    const auto outcome = (*plugin)->invoke(i, event, {});
    EXPECT_EQ(invokeStatusName(outcome.status), invokeStatusName(expected.at(name))) << name;
    EXPECT_NE(outcome.message.find("Traceback (most recent call last)"), std::string::npos) << name;
    if (expected.at(name) == InvokeStatus::Retry) {
      ++retries;
    }
  }
  // Each failure is logged once: a transient one at WARNING (it is retried, so no CRITICAL and no email
  // per attempt), any other at CRITICAL with the locals, as the original logs it.
  const auto warnings = host.records("A transient error occurred processing an event");
  EXPECT_EQ(warnings.size(), retries);
  for (const auto& record : warnings) {
    EXPECT_EQ(record.level, core::LogLevel::Warning);
  }
  const auto criticals = host.records("An error occured processing an event.");
  EXPECT_EQ(criticals.size(), expected.size() - retries);
  for (const auto& record : criticals) {
    EXPECT_EQ(record.level, core::LogLevel::Critical);
    EXPECT_NE(record.message.find("Local variables at outer most frame in plugin:"), std::string::npos);
  }
  const auto sgConnection = host.records("ShotgunConnectionError: Connection failed: refused (curl 7)");
  ASSERT_EQ(sgConnection.size(), 1u);
  EXPECT_EQ(sgConnection[0].logger, "plugin.transient.sg_connection");

  plugin->reset();
  // Leave the interpreter as the other tests expect it: no shotgun_api3.
  auto cleanup =
      loader->load(writePlugin(dir, "cleanup",
                               "import sys\nsys.path.remove(" + std::string("'") + packages.path().string() +
                                   "')\nsys.modules.pop('shotgun_api3')\n"
                                   "def registerCallbacks(reg):\n    pass\n"),
                   host.context());
  EXPECT_TRUE(cleanup.has_value()) << errorOf(cleanup);
}

}  // namespace
}  // namespace sgeventd::plugins::python
