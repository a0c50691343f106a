// Each callback's own connection against the simulated site: the api3 round trip through the binding,
// the plugin's script identity, set_session_uuid, the GIL released while waiting, and the real
// shotgun_api3 path (with a fake package).
#include <gtest/gtest.h>

#include <thread>

#include "python_support.h"

namespace sgeventd::plugins::python {
namespace {

using namespace testing;

TEST(PythonConnection, BindingRoundTripsEveryMethodWithApi3Values) {
  SimSite sim;
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  host.factory = sim.factory();
  auto plugin = loader->load(writePlugin(dir, "roundtrip", R"PY(
import datetime
import sgeventd_shotgun

def cb(sg, logger, event, args):
    assert isinstance(sg, sgeventd_shotgun.Shotgun), type(sg)
    assert sg.base_url.startswith("http://127.0.0.1:"), sg.base_url
    assert sg.config.script_name == "plugin_a", sg.config.script_name
    project = sg.create("Project", {"name": "Round Trip"})
    assert project["type"] == "Project" and isinstance(project["id"], int), project
    due = datetime.date(2024, 5, 17)
    shot = sg.create("Shot", {"code": "rt010", "project": project, "sg_due_date": due},
                     ["code", "sg_due_date", "created_at"])
    assert shot["sg_due_date"] == "2024-05-17", shot
    assert isinstance(shot["created_at"], datetime.datetime) and shot["created_at"].tzinfo, shot
    found = sg.find("Shot", [["project", "is", project]], ["code", "created_at"], order=[{"field_name": "id", "direction": "asc"}])
    assert [s["code"] for s in found] == ["rt010"], found
    assert isinstance(found[0]["created_at"], datetime.datetime), found
    one = sg.find_one("Shot", [["code", "is", "rt010"], ["code", "is", "nope"]], ["code"], filter_operator="any")
    assert one["id"] == shot["id"], one
    assert sg.find_one("Shot", [["code", "is", "nope"]]) is None
    updated = sg.update("Shot", shot["id"], {"description": "updated"})
    assert updated["description"] == "updated", updated
    stamp = datetime.datetime(2024, 5, 17, 10, 0, 0, tzinfo=datetime.timezone.utc)
    playlist = sg.create("Playlist", {"code": "pl", "project": project, "sg_date_and_time": stamp},
                         ["sg_date_and_time"])
    assert playlist["sg_date_and_time"] == stamp, playlist
    results = sg.batch([
        {"request_type": "create", "entity_type": "Shot", "data": {"code": "rt020", "project": project}},
        {"request_type": "update", "entity_type": "Shot", "entity_id": shot["id"], "data": {"code": "rt011"}},
    ])
    assert len(results) == 2 and results[1]["code"] == "rt011", results
    summary = sg.summarize("Shot", [["project", "is", project]], [{"field": "id", "type": "count"}])
    assert summary["summaries"]["id"] == 2, summary
    assert sg.delete("Shot", results[0]["id"]) is True
    assert sg.find("Shot", [["project", "is", project]], ["code"]) and len(sg.find("Shot", [["project", "is", project]])) == 1
    assert sg.revive("Shot", results[0]["id"]) is True
    assert len(sg.find("Shot", [["project", "is", project]])) == 2
    fields = sg.schema_field_read("Shot", "code")
    assert fields["code"]["data_type"]["value"] == "text", fields
    assert "Shot" in sg.schema_entity_read()
    assert "version" in sg.info() or "s3_uploads_enabled" in sg.info() or sg.info() is not None
    try:
        sg.find("NoSuchEntityType", [])
    except sgeventd_shotgun.Fault as error:
        assert isinstance(error, sgeventd_shotgun.ShotgunError)
    else:
        raise AssertionError("no Fault")
    logger.info("round trip ok")

def registerCallbacks(reg):
    reg.registerCallback("plugin_a", "key-a", cb)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  auto event = makeEvent(1);
  auto outcome = (*plugin)->invoke(0, event, {});
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(host.count("round trip ok"), 1u);
}

TEST(PythonConnection, EachCallbackUsesItsPluginScriptAndTheEventSessionUuid) {
  SimSite sim;
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  host.factory = sim.factory();
  host.useSessionUuid = true;
  auto plugin = loader->load(writePlugin(dir, "identity", R"PY(
import sgeventd_shotgun

def note_a(sg, logger, event, args):
    assert sg.config.session_uuid == event["session_uuid"], (sg.config.session_uuid, event["session_uuid"])
    sg.create("Note", {"subject": "from a %s" % event["id"]})

def note_b(sg, logger, event, args):
    assert sg.config.session_uuid == event["session_uuid"], (sg.config.session_uuid, event["session_uuid"])
    sg.create("Note", {"subject": "from b %s" % event["id"]})

def registerCallbacks(reg):
    reg.registerCallback("plugin_a", "key-a", note_a)
    reg.registerCallback("plugin_b", "key-b", note_b)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  const auto before = sim.site->lastEventId();
  auto event = makeEvent(1);
  event.sessionUuid = "11111111-2222-3333-4444-555555555555";
  event.json.clear();
  for (const auto& outcome : dispatch(**plugin, event)) {
    EXPECT_TRUE(outcome.ok()) << outcome.message;
  }
  auto noSession = makeEvent(2);
  noSession.sessionUuid.reset();
  noSession.json.clear();
  for (const auto& outcome : dispatch(**plugin, noSession)) {
    EXPECT_TRUE(outcome.ok()) << outcome.message;  // set_session_uuid(None) cleared it
  }
  std::vector<core::Event> notes;
  for (auto& written : sim.eventsAfter(before)) {
    if (written.eventType == "Shotgun_Note_New") {
      notes.push_back(written);
    }
  }
  ASSERT_EQ(notes.size(), 4u);
  const auto userA = sim.site->scriptActor(1).user["id"].get<std::int64_t>();
  const auto userB = sim.site->scriptActor(2).user["id"].get<std::int64_t>();
  ASSERT_TRUE(notes[0].user && notes[1].user && notes[2].user);
  EXPECT_EQ(notes[0].user->id, userA);
  EXPECT_EQ(notes[1].user->id, userB);
  EXPECT_EQ(notes[2].user->id, userA);
  EXPECT_EQ(notes[0].sessionUuid, event.sessionUuid);
  EXPECT_EQ(notes[1].sessionUuid, event.sessionUuid);
  EXPECT_FALSE(notes[2].sessionUuid.has_value());
  EXPECT_FALSE(notes[3].sessionUuid.has_value());
}

TEST(PythonConnection, BindingRaisesTransientErrorsThatAreRetriedAndFaultsThatFail) {
  SimSite sim;
  TempDir dir;
  auto loader = makeLoader();
  const auto source = R"PY(
import socket
import sgeventd_shotgun

def caught(sg, logger, event, args):
    # Code written for shotgun_api3 catches these as it always did.
    for handler in (sgeventd_shotgun.ShotgunError, ConnectionError, OSError):
        try:
            sg.find("Shot", [], ["code"])
        except handler as error:
            assert error.transient, error
            caught_name = type(error).__name__
        else:
            raise AssertionError("the site was reachable")
    logger.info("caught %s", caught_name)

def uncaught(sg, logger, event, args):
    sg.find("Shot", [], ["code"])

def fault(sg, logger, event, args):
    sg.find("NoSuchEntityType", [])

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", caught)
    reg.registerCallback("sgeventd", "sim-key", uncaught)
    reg.registerCallback("sgeventd", "sim-key", fault)
)PY";
  // Nothing listens on a port the server just gave back.
  std::string deadUrl;
  {
    SimSite gone;
    deadUrl = gone.server->url();
  }
  Host down;
  down.factory = [deadUrl](const std::string& name, const std::string& key) {
    shotgrid::ClientOptions options;
    options.server = deadUrl;
    options.auth = {name, key, std::nullopt, std::nullopt};
    options.retry.maxAttempts = 1;
    options.connectTimeout = std::chrono::milliseconds(2000);
    return std::make_unique<shotgrid::Client>(options);
  };
  auto offline = loader->load(writePlugin(dir, "offline", source), down.context());
  ASSERT_TRUE(offline.has_value()) << errorOf(offline);
  auto event = makeEvent(1);
  auto caught = (*offline)->invoke(0, event, {});
  EXPECT_TRUE(caught.ok()) << caught.message;
  EXPECT_EQ(down.count("caught ShotgunConnectionError"), 1u);
  auto uncaught = (*offline)->invoke(1, event, {});
  EXPECT_EQ(uncaught.status, InvokeStatus::Retry) << uncaught.message;
  EXPECT_NE(uncaught.message.find("sgeventd_shotgun.ShotgunConnectionError: Connection failed"),
            std::string::npos)
      << uncaught.message;

  Host up;
  up.factory = sim.factory();
  auto online = loader->load(writePlugin(dir, "online", source), up.context());
  ASSERT_TRUE(online.has_value()) << errorOf(online);
  EXPECT_TRUE((*online)->invoke(1, event, {}).ok());
  auto fault = (*online)->invoke(2, event, {});
  EXPECT_EQ(fault.status, InvokeStatus::Error);  // the site answered: the same call would fail again
  EXPECT_NE(fault.message.find("sgeventd_shotgun.Fault"), std::string::npos) << fault.message;
}

TEST(PythonConnection, SleepingOrWaitingPluginDoesNotBlockAnother) {
  SimSite sim;
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  host.factory = sim.factory();
  const auto flag = dir.path() / "flag";
  auto sleeper = loader->load(writePlugin(dir, "sleeper",
                                          R"PY(
import os, time

def cb(sg, logger, event, args):
    deadline = time.time() + 20
    while not os.path.exists(args):
        if time.time() > deadline:
            raise RuntimeError("the other plugin never ran while this one slept")
        time.sleep(0.01)

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb, None, )PY" +
                                              std::string("'") + flag.string() + R"PY(')
)PY"),
                              host.context());
  ASSERT_TRUE(sleeper.has_value()) << errorOf(sleeper);
  auto worker = loader->load(writePlugin(dir, "worker",
                                         R"PY(
def cb(sg, logger, event, args):
    for _ in range(3):
        sg.find("Shot", [], ["code"])   # network calls release the GIL too
    open(args, "w").close()

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb, None, )PY" +
                                             std::string("'") + flag.string() + R"PY(')
)PY"),
                             host.context());
  ASSERT_TRUE(worker.has_value()) << errorOf(worker);
  InvokeResult slept;
  InvokeResult worked;
  std::thread a([&] {
    auto event = makeEvent(1);
    slept = (*sleeper)->invoke(0, event, {});
  });
  std::thread b([&] {
    auto event = makeEvent(1);
    worked = (*worker)->invoke(0, event, {});
  });
  a.join();
  b.join();
  EXPECT_TRUE(worked.ok()) << worked.message;
  EXPECT_TRUE(slept.ok()) << slept.message;
}

TEST(PythonConnection, UsesRealShotgunApi3WhenImportable) {
  TempDir dir;
  TempDir packages;
  std::filesystem::create_directory(packages.path() / "shotgun_api3");
  writeFile(packages.path() / "shotgun_api3" / "__init__.py", R"PY(
made = []

class Shotgun(object):
    def __init__(self, base_url, script_name=None, api_key=None, http_proxy=None, **kwargs):
        self.base_url = base_url
        self.script_name = script_name
        self.api_key = api_key
        self.http_proxy = http_proxy
        self.session_uuid = "unset"
        made.append(self)

    def set_session_uuid(self, session_uuid):
        self.session_uuid = session_uuid
)PY");
  PythonSettings settings;
  settings.sysPath = {packages.path().string()};
  settings.server = "https://studio.example.com";
  settings.httpProxy = "proxy.example.com:8080";
  auto loader = makeLoader(settings);
  Host host;
  host.useSessionUuid = true;
  auto plugin = loader->load(writePlugin(dir, "realapi", R"PY(
import shotgun_api3

def cb(sg, logger, event, args):
    assert type(sg) is shotgun_api3.Shotgun, type(sg)
    assert (sg.base_url, sg.script_name, sg.api_key, sg.http_proxy) == (
        "https://studio.example.com", "plugin_a", "key-a", "proxy.example.com:8080"), vars(sg)
    assert sg.session_uuid == event["session_uuid"], sg.session_uuid
    assert len(shotgun_api3.made) == 2
    logger.info("real api ok")

def registerCallbacks(reg):
    reg.registerCallback("plugin_a", "key-a", cb)
    reg.registerCallback("plugin_b", "key-b", cb)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  auto event = makeEvent(1);
  event.json.clear();  // the full api3 shape, session_uuid included
  auto outcome = (*plugin)->invoke(0, event, {});
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(host.count("real api ok"), 1u);
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
