// The plugin API of spec §3: registration, callback naming, dispatch order, matchEvents, args sharing,
// the Registrar, setEmails, the event dict, reload.
#include <gtest/gtest.h>

#include "plugins/python/datetime_count.h"
#include "python_support.h"
#include "scoped_time_zone.h"

namespace sgeventd::plugins::python {
namespace {

using namespace testing;

constexpr const char* kRegistration = R"PY(
import functools

class Caller(object):
    def __call__(self, sg, logger, event, args):
        args.append(logger.name)

def first(sg, logger, event, args):
    args.append(logger.name)
    logger.info("args id %d", id(args))

def second(sg, logger, event, args):
    args.append(logger.name)
    logger.info("args id %d", id(args))

def third(sg, logger, event, args, extra):
    args.append(logger.name + ":" + extra)

shared = []

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", first, {"Shotgun_Task_Change": "sg_status_list"}, shared)
    reg.registerCallback(sgScriptName="sgeventd", sgScriptKey="sim-key", callback=second,
                         matchEvents=None, args=shared, stopOnError=False)
    reg.registerCallback("sgeventd", "sim-key", Caller(), None, shared)
    reg.registerCallback("sgeventd", "sim-key", functools.partial(third, extra="x"), args=shared)
)PY";

TEST(PythonApi, RegistersPositionallyAndByKeywordAndNamesCallbacks) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "reg", kRegistration), host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  const auto& callbacks = (*plugin)->callbacks();
  ASSERT_EQ(callbacks.size(), 4u);
  EXPECT_EQ((*plugin)->kind(), PluginKind::Python);
  EXPECT_EQ(callbacks[0].name, "first");
  EXPECT_TRUE(callbacks[0].stopOnError);
  EXPECT_EQ(callbacks[1].name, "second");
  EXPECT_FALSE(callbacks[1].stopOnError);
  EXPECT_EQ(callbacks[2].name.rfind("Caller_0x", 0), 0u) << callbacks[2].name;
  EXPECT_EQ(callbacks[3].name.rfind("partial_0x", 0), 0u) << callbacks[3].name;
  EXPECT_FALSE(callbacks[0].match.matchAll);
  EXPECT_TRUE(callbacks[1].match.matchAll);

  // Dispatch order is registration order, and all four share the very same args list.
  auto event = makeEvent(10);
  for (const auto& outcome : dispatch(**plugin, event)) {
    EXPECT_TRUE(outcome.ok()) << outcome.message;
  }
  auto ids = host.records("args id ");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].logger, "plugin.reg.first");
  EXPECT_EQ(ids[1].logger, "plugin.reg.second");
  EXPECT_EQ(ids[0].message, ids[1].message);  // id(args) is the same object
}

TEST(PythonApi, ArgsAreTheRegisteredObjectAndCallbacksRunInOrder) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "order", std::string(kRegistration) + R"PY(
def check(sg, logger, event, args):
    assert args is shared, "args is not the registered object"
    assert shared[-4] == "plugin.order.first" and shared[-3] == "plugin.order.second", shared
    assert shared[-2].startswith("plugin.order.Caller_0x"), shared
    assert shared[-1].startswith("plugin.order.partial_0x") and shared[-1].endswith(":x"), shared
    logger.info("order ok")

_register = registerCallbacks
def registerCallbacks(reg):
    _register(reg)
    reg.registerCallback("sgeventd", "sim-key", check, None, shared)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  auto event = makeEvent(11);
  for (const auto& outcome : dispatch(**plugin, event)) {
    EXPECT_TRUE(outcome.ok()) << outcome.message;
  }
  EXPECT_EQ(host.count("order ok"), 1u);
}

TEST(PythonApi, MatchEventsKeepsTheOriginalQuirks) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "match", R"PY(
def cb(sg, logger, event, args):
    pass

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb, {"Shotgun_Task_Change": "sg_status_list"})
    reg.registerCallback("sgeventd", "sim-key", cb, {"*": ["code"], "Shotgun_Note_New": None})
    reg.registerCallback("sgeventd", "sim-key", cb, {"Shotgun_Project_Change": ["id", 1]})
    reg.registerCallback("sgeventd", "sim-key", cb, {"Shotgun_Shot_New": None})
    reg.registerCallback("sgeventd", "sim-key", cb, {})
    reg.registerCallback("sgeventd", "sim-key", cb, {"Shotgun_Shot_Change": ("code",),
                                                     "Shotgun_Asset_Change": {"a", "b"},
                                                     "Shotgun_Task_Change": frozenset(["x"]),
                                                     "Shotgun_Note_Change": {"content": 1}})
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  const auto& cbs = (*plugin)->callbacks();
  ASSERT_EQ(cbs.size(), 6u);
  using core::matchesEvent;
  // A string value is a substring test.
  EXPECT_TRUE(matchesEvent(cbs[0].match, "Shotgun_Task_Change", std::string("sg_status")));
  EXPECT_TRUE(matchesEvent(cbs[0].match, "Shotgun_Task_Change", std::string("t")));
  EXPECT_FALSE(matchesEvent(cbs[0].match, "Shotgun_Task_Change", std::string("due_date")));
  EXPECT_FALSE(matchesEvent(cbs[0].match, "Shotgun_Task_Change", std::nullopt));
  // "*" shadows every other key.
  EXPECT_FALSE(matchesEvent(cbs[1].match, "Shotgun_Note_New", std::nullopt));
  EXPECT_TRUE(matchesEvent(cbs[1].match, "Shotgun_Shot_Change", std::string("code")));
  // ["id", 1]: the non-string member is counted, never matched.
  EXPECT_EQ(cbs[2].match.byEventType.at("Shotgun_Project_Change").members, std::vector<std::string>{"id"});
  EXPECT_EQ(cbs[2].match.byEventType.at("Shotgun_Project_Change").nonStringMembers, 1u);
  EXPECT_TRUE(matchesEvent(cbs[2].match, "Shotgun_Project_Change", std::string("id")));
  EXPECT_FALSE(matchesEvent(cbs[2].match, "Shotgun_Project_Change", std::string("1")));
  EXPECT_TRUE(matchesEvent(cbs[3].match, "Shotgun_Shot_New", std::nullopt));
  EXPECT_FALSE(matchesEvent(cbs[3].match, "Shotgun_Shot_Change", std::string("code")));
  EXPECT_TRUE(cbs[4].match.matchAll);  // {} is falsy: everything
  EXPECT_TRUE(matchesEvent(cbs[5].match, "Shotgun_Shot_Change", std::string("code")));
  EXPECT_TRUE(matchesEvent(cbs[5].match, "Shotgun_Asset_Change", std::string("b")));
  EXPECT_TRUE(matchesEvent(cbs[5].match, "Shotgun_Task_Change", std::string("x")));
  EXPECT_TRUE(matchesEvent(cbs[5].match, "Shotgun_Note_Change", std::string("content")));
}

TEST(PythonApi, BadMatchEventsIsARegistrationError) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  for (const std::string value : {"['Shotgun_Task_Change']", "{'Shotgun_Task_Change': 5}", "'text'"}) {
    auto loaded = loader->load(writePlugin(dir, "badmatch",
                                           R"PY(
def cb(sg, logger, event, args):
    pass

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb, )PY" +
                                               value + ")\n"),
                               host.context());
    ASSERT_FALSE(loaded.has_value()) << value;
    EXPECT_EQ(loaded.error().code, static_cast<int>(LoadErrorKind::Registration));
    EXPECT_NE(loaded.error().message.find("TypeError: matchEvents"), std::string::npos)
        << loaded.error().message;
  }
}

TEST(PythonApi, RegistrarHasTheOriginalAttributesAndEmails) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  const std::string checks = R"PY(
import logging

def cb(sg, logger, event, args):
    pass

def registerCallbacks(reg):
    assert isinstance(reg.logger, logging.Logger), type(reg.logger)
    assert reg.logger.name == "plugin.emails", reg.logger.name
    assert reg.getLogger() is reg.logger
    try:
        reg.nothing
    except AttributeError as error:
        assert str(error) == "type object 'Registrar' has no attribute 'nothing'", str(error)
    else:
        raise AssertionError("no AttributeError")
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY";
  auto none = loader->load(writePlugin(dir, "emails", checks), host.context());
  ASSERT_TRUE(none.has_value()) << errorOf(none);
  EXPECT_FALSE((*none)->emails().has_value());

  auto withEmails = [&](const std::string& call) {
    return loader->load(writePlugin(dir, "emails", checks + "    reg.setEmails(" + call + ")\n"),
                        host.context());
  };
  auto defaults = withEmails("True");
  ASSERT_TRUE(defaults.has_value()) << errorOf(defaults);
  EXPECT_EQ((*defaults)->emails()->mode, EmailSetting::Mode::Default);
  auto disabled = withEmails("False");
  ASSERT_TRUE(disabled.has_value());
  EXPECT_EQ((*disabled)->emails()->mode, EmailSetting::Mode::Disabled);
  auto addresses = withEmails("'a@x.com', 'b@y.com'");
  ASSERT_TRUE(addresses.has_value()) << errorOf(addresses);
  EXPECT_EQ((*addresses)->emails()->mode, EmailSetting::Mode::Addresses);
  EXPECT_EQ((*addresses)->emails()->addresses, (std::vector<std::string>{"a@x.com", "b@y.com"}));
}

TEST(PythonApi, EventDictHasApi3ShapesAndIsSharedWithinThePlugin) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "shape", R"PY(
import datetime

def one(sg, logger, event, args):
    assert event["type"] == "EventLogEntry" and event["id"] == 77, event
    created = event["created_at"]
    assert isinstance(created, datetime.datetime), type(created)
    assert created.tzinfo is not None and created.utcoffset() is not None
    assert created == datetime.datetime(2024, 3, 1, 12, 30, 5, tzinfo=datetime.timezone.utc), created
    assert isinstance(event["meta"]["new_value"], datetime.datetime), event["meta"]
    assert isinstance(event["meta"]["list"][0], datetime.datetime), event["meta"]
    assert event["meta"]["old_value"] == "2024-03-01", event["meta"]          # dates stay strings
    assert event["meta"]["text"] == "2024-03-01T12:30:05Z and more", event["meta"]
    assert event["attribute_name"] is None and event["session_uuid"] is None
    assert event["entity"] == {"type": "Shot", "id": 5, "name": "sh010"}, event["entity"]
    event["seen_by_one"] = True

def two(sg, logger, event, args):
    assert event.get("seen_by_one") is True, "the event dict is not shared within a plugin"
    logger.info("shape ok")

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", one)
    reg.registerCallback("sgeventd", "sim-key", two)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  core::Event event = makeEvent(77);
  event.json =
      R"({"type":"EventLogEntry","id":77,"event_type":"Shotgun_Shot_New","attribute_name":null,)"
      R"("entity":{"type":"Shot","id":5,"name":"sh010"},"user":null,"project":null,"session_uuid":null,)"
      R"("created_at":"2024-03-01T12:30:05Z","meta":{"new_value":"2024-03-01T12:30:05Z",)"
      R"("old_value":"2024-03-01","list":["2024-03-01T12:30:05Z"],"text":"2024-03-01T12:30:05Z and more"}})";
  for (const auto& outcome : dispatch(**plugin, event)) {
    EXPECT_TRUE(outcome.ok()) << outcome.message;
  }
  EXPECT_EQ(host.count("shape ok"), 1u);

  // An event without its JSON text (built field by field) still gets the api3 shape.
  auto fallback = loader->load(writePlugin(dir, "fallback", R"PY(
import datetime

def cb(sg, logger, event, args):
    assert isinstance(event["created_at"], datetime.datetime), event
    assert event["meta"] == {"new_value": "fin", "old_value": "ip"}, event["meta"]
    assert event["entity"]["name"] == "Anim" and event["attribute_name"] == "sg_status_list", event
    logger.info("fallback ok")

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                               host.context());
  ASSERT_TRUE(fallback.has_value()) << errorOf(fallback);
  core::Event bare = makeEvent(78);
  bare.json.clear();
  EXPECT_TRUE((*fallback)->invoke(0, bare, {}).ok());
  EXPECT_EQ(host.count("fallback ok"), 1u);
}

TEST(PythonApi, TheDateTimeCountSeesEveryLiteralAndGivesUpOnEscapes) {
  EXPECT_EQ(countApi3DateTimes(R"({"created_at":"2024-03-01T12:30:05Z"})"), 1);
  EXPECT_EQ(countApi3DateTimes(R"({"2024-03-01T12:30:05Z":1,"b":["2024-03-01T12:30:05Z"]})"), 2);
  EXPECT_EQ(countApi3DateTimes(R"({"a":"2024-03-01","b":"2024-03-01T12:30:05Z and more"})"), 0);
  EXPECT_EQ(countApi3DateTimes(R"({"a":"2024-03-01T12:30:05"})"), 0);
  EXPECT_EQ(countApi3DateTimes(R"({"a":"x\u0032024-03-01T12:30:05Z"})"), -1);
  EXPECT_EQ(countApi3DateTimes(R"("2024-03-01T12:30:05Z")"), 1);
  EXPECT_EQ(countApi3DateTimes(R"("2024-03-01T12:30:05Z)"), 0);
  EXPECT_EQ(countApi3DateTimes(R"({"w":"٢٠٢٤-٠٣-٠١T12:30:05Z"})"), 1)
      << "other digits: Python's check decides";
  EXPECT_EQ(countApi3DateTimes(R"({"q":"say \"2024-03-01T12:30:05Z\""})"), 0);
}

// The object hook is skipped when created_at holds the text's only date-time: every other shape still
// converts each date-time wherever it is.
TEST(PythonApi, EveryDateTimeIsConvertedWhateverTheShortcutSkips) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "times", R"PY(
import datetime

def cb(sg, logger, event, args):
    kind = event["meta"]["kind"]
    if kind == "only-meta":
        assert event["created_at"] is None, event
        assert isinstance(event["meta"]["new_value"], datetime.datetime), event
    elif kind == "key":
        assert isinstance(event["created_at"], datetime.datetime), event
        assert event["meta"]["2024-03-01T12:30:05Z"] == "x", event
    elif kind == "escaped":
        assert isinstance(event["meta"]["new_value"], datetime.datetime), event
        assert isinstance(event["created_at"], datetime.datetime), event
    elif kind == "none":
        assert event["created_at"] == "yesterday", event
    logger.info("times ok " + kind)

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"only-meta", R"({"type":"EventLogEntry","id":1,"created_at":null,)"
                    R"("meta":{"kind":"only-meta","new_value":"2024-03-01T12:30:05Z"}})"},
      {"key", R"({"type":"EventLogEntry","id":2,"created_at":"2024-03-01T12:30:05Z",)"
              R"("meta":{"kind":"key","2024-03-01T12:30:05Z":"x"}})"},
      {"escaped", R"({"type":"EventLogEntry","id":3,"created_at":"2024-03-01T12:30:05Z",)"
                  R"("meta":{"kind":"escaped","new_value":"\u0032024-03-01T12:30:05Z"}})"},
      {"none", R"({"type":"EventLogEntry","id":4,"created_at":"yesterday","meta":{"kind":"none"}})"},
  };
  std::int64_t id = 1;
  for (const auto& [kind, json] : cases) {
    core::Event event = makeEvent(id++);
    event.json = json;
    EXPECT_TRUE((*plugin)->invoke(0, event, {}).ok()) << kind;
    EXPECT_EQ(host.count("times ok " + kind), 1u) << kind;
  }
}

// The dict built in C++ (event_dict.h) against the bootstrap's json.loads with its object hook: the same
// keys in the same order, the same types, values and datetimes, for every text, whichever way it went.
TEST(PythonApi, TheEventDictBuiltInCxxIsTheOneJsonLoadsBuilds) {
  const std::vector<std::string> texts = {
      R"({"type":"EventLogEntry","id":0,"event_type":"Shotgun_Task_Change","attribute_name":"sg_status_list",)"
      R"("meta":{"type":"attribute_change","old_value":"ip","new_value":"fin","entity_id":4711},)"
      R"("entity":{"type":"Task","id":4711,"name":"anim"},"user":{"type":"HumanUser","id":35,"name":"Kevin"},)"
      R"("project":null,"session_uuid":"450e4da2-dafa-11e0-9ba7-0023dffffeab","created_at":"2024-03-01T12:30:05Z"})",
      R"({"id":1,"user":{"name":"José 日本 🎬"},"created_at":"2024-07-01T23:59:59Z","e":"","t":true,"f":false})",
      R"({"id":2,"a":1,"b":2,"a":3})",
      R"({"id":3,"n":[-0,0,1.5,-1e5,1E2,123456789012345678,2.5e-300,1e-400,0.1,-0.0,18446744073709551]})",
      R"({"id":4,"m":[["2024-03-01T12:30:05Z",[{"at":"2000-01-01T00:00:00Z"}]],"2024-03-01T12:30:05"],"o":{}})",
      R"({"id":5,"meta":{"2024-03-01T12:30:05Z":"key, not value"},"created_at":null})",
      R"({"id":6,"big":1234567890123456789012,"u64":18446744073709551615,"below":-9223372036854775809})",
      R"({"id":7,"s":"caf\u00e9","created_at":"2024-03-01T12:30:05Z"})",
      R"({"id":8,"x":NaN})",
      R"({"id":9,"deep":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["2024-03-01T12:30:05Z"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})",
      R"({"id":10,"w":"٢٠٢٤-٠٣-٠١T12:30:05Z","v":"2024-03-01Tx2:30:05Z","q":"say \"2024-03-01T12:30:05Z\""})",
      R"({"id":11,"esc":"tab\there\nnew \\ slash \/","created_at":"1969-12-31T23:59:59Z"})",
      // \u escapes: pairs, NUL, in keys (one spelling a key seen before, one created_at), in a date-time,
      // and lone surrogates, which json.loads keeps and UTF-8 cannot hold.
      R"({"id":12,"pair":"\ud83c\udfac","nul":"a\u0000b","\u0074ype":"EventLogEntry","k\u00e9y":1})",
      R"({"id":13,"created\u005fat":"2024-03-01T12:30:05\u005a","at":"\u0032024-03-01T12:30:05Z"})",
      R"({"id":14,"high":"\ud800","type":"x"})",
      R"({"id":15,"low":"a\udc00b","type":"x"})",
      R"({"id":16,"\udfff":"lone low surrogate in a key"})",
      R"({"id":17,"reversed":"\udc00\ud800"})",
  };
  std::string list = "[";
  for (const auto& text : texts) {
    std::string escaped;
    for (const char c : text) {
      escaped += (c == '\\' || c == '\'') ? std::string("\\") + c : std::string(1, c);
    }
    list += "'" + escaped + "',\n";
  }
  list += "]";
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "same", "# -*- coding: utf-8 -*-\nTEXTS = " + list + R"PY(
import datetime
import _sgeventd_bootstrap as bootstrap

def same(a, b, path="event"):
    if type(a) is not type(b):
        return path + ": " + repr(type(a)) + " is not " + repr(type(b))
    if type(a) is dict:
        if list(a.keys()) != list(b.keys()):
            return path + ": keys " + repr(list(a.keys())) + " != " + repr(list(b.keys()))
        for k in a:
            d = same(a[k], b[k], path + "[" + repr(k) + "]")
            if d:
                return d
        return None
    if type(a) is list:
        if len(a) != len(b):
            return path + ": lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, path + "[" + str(i) + "]")
            if d:
                return d
        return None
    if type(a) is float:
        return None if repr(a) == repr(b) else path + ": " + repr(a) + " != " + repr(b)
    if type(a) is datetime.datetime:
        ok = a == b and a.tzinfo == b.tzinfo and a.isoformat() == b.isoformat()
        return None if ok else path + ": " + repr(a) + " != " + repr(b)
    return None if a == b else path + ": " + repr(a) + " != " + repr(b)

def cb(sg, logger, event, args):
    expected = bootstrap.decode(TEXTS[event["id"]])
    difference = same(event, expected)
    assert difference is None, difference
    logger.info("same %d", event["id"])

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    core::Event event = makeEvent(static_cast<std::int64_t>(i));
    event.json = texts[i];
    const auto outcome = (*plugin)->invoke(0, event, {});
    EXPECT_TRUE(outcome.ok()) << i << ": " << outcome.message;
    EXPECT_EQ(host.count("same " + std::to_string(i)), 1u) << i;
  }
}

// Events in a row that share their created_at share its datetime (it is immutable); a new second, and
// every other date-time in the record, still gets its own value.
TEST(PythonApi, EventsOfOneSecondShareTheirCreatedAtDatetime) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "memo", R"PY(
import datetime
seen = []

def cb(sg, logger, event, args):
    seen.append(event)
    utc = event["created_at"].astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    logger.info("event %d at %s new_value %s shared %s", event["id"], utc,
                event["meta"]["new_value"].astimezone(datetime.timezone.utc).strftime("%H:%M:%S"),
                len(seen) > 1 and seen[-2]["created_at"] is event["created_at"])

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  const std::vector<std::pair<std::string, std::string>> times = {{"2024-03-01T12:30:05Z", "01:02:03"},
                                                                  {"2024-03-01T12:30:05Z", "04:05:06"},
                                                                  {"2024-03-01T12:30:06Z", "04:05:06"}};
  for (std::size_t i = 0; i < times.size(); ++i) {
    core::Event event = makeEvent(static_cast<std::int64_t>(i + 1));
    event.json = R"({"type":"EventLogEntry","id":)" + std::to_string(i + 1) + R"(,"created_at":")" +
                 times[i].first + R"(","meta":{"new_value":"2024-03-01T)" + times[i].second + R"(Z"}})";
    const auto outcome = (*plugin)->invoke(0, event, {});
    EXPECT_TRUE(outcome.ok()) << i << ": " << outcome.message;
  }
  EXPECT_EQ(host.count("event 1 at 2024-03-01T12:30:05Z new_value 01:02:03 shared False"), 1u);
  EXPECT_EQ(host.count("event 2 at 2024-03-01T12:30:05Z new_value 04:05:06 shared True"), 1u);
  EXPECT_EQ(host.count("event 3 at 2024-03-01T12:30:06Z new_value 04:05:06 shared False"), 1u);
}

// The local datetimes made in C++ (local_datetime.h) are the ones the bootstrap's astimezone() makes, in
// zones with summer time, half-hour and half-hour-summer offsets, and before standard time (Paris's local
// mean time is 561 seconds past UTC): the same wall time, offset, zone name and fold, on both sides of each
// change.
TEST(PythonApi, LocalDatetimesAreTheOnesAstimezoneMakes) {
  ScopedTimeZone scoped("UTC");
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "zones", R"PY(
import _sgeventd_bootstrap as bootstrap

def cb(sg, logger, event, args):
    made = event["created_at"]
    expected = bootstrap._local_from_api3(event["meta"]["text"] + "Z")
    for what in ("isoformat", "tzname", "utcoffset"):
        assert getattr(made, what)() == getattr(expected, what)(), (what, made, expected)
    assert made.fold == expected.fold and made.tzinfo == expected.tzinfo, (made, expected)
    assert repr(made.tzinfo) == repr(expected.tzinfo), (made.tzinfo, expected.tzinfo)
    logger.info("zone ok %d %s", event["id"], made.isoformat())

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  const std::vector<std::string> zones = {"UTC", "Europe/Paris", "America/St_Johns", "Australia/Lord_Howe",
                                          "Asia/Kolkata"};
  const std::vector<std::string> texts = {
      "2024-03-31T00:59:59Z", "2024-03-31T01:00:00Z", "2024-10-27T00:59:59Z", "2024-10-27T01:00:00Z",
      "2024-03-10T05:29:59Z", "2024-11-03T03:30:00Z", "2024-04-06T14:59:59Z", "2024-10-05T15:30:00Z",
      "1969-12-31T23:59:59Z", "1890-06-01T12:00:00Z", "2000-02-29T23:59:59Z", "9999-12-31T10:00:00Z",
      "0001-01-01T12:00:00Z", "2038-01-19T03:14:08Z"};
  std::int64_t id = 0;
  for (const auto& zone : zones) {
    scoped.set(zone);
    for (const auto& text : texts) {
      core::Event event = makeEvent(++id);
      event.json = R"({"type":"EventLogEntry","id":)" + std::to_string(id) + R"(,"created_at":")" + text +
                   R"(","meta":{"text":")" + text.substr(0, 19) + R"("}})";
      const auto outcome = (*plugin)->invoke(0, event, {});
      EXPECT_TRUE(outcome.ok()) << zone << " " << text << ": " << outcome.message;
      EXPECT_EQ(host.count("zone ok " + std::to_string(id) + " "), 1u) << zone << " " << text;
    }
  }
}

TEST(PythonApi, EventKeysComeInTheOrderTheSiteSentThem) {
  SimSite sim;
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto plugin = loader->load(writePlugin(dir, "order", R"PY(
def cb(sg, logger, event, args):
    logger.info("keys=%s entity=%s", list(event.keys()), list(event["entity"].keys()))

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb, {"Shotgun_Shot_New": None})
)PY"),
                             host.context());
  ASSERT_TRUE(plugin.has_value()) << errorOf(plugin);
  const auto before = sim.site->lastEventId();
  auto client = sim.client();
  auto project = client->create("Project", {{"name", "Order"}});
  ASSERT_TRUE(project.has_value()) << project.error().describe();
  ASSERT_TRUE(client->create("Shot", {{"code", "or010"}, {"project", *project}}).has_value());
  std::vector<core::Event> shots;
  for (auto& event : sim.eventsAfter(before)) {
    if (event.eventType == "Shotgun_Shot_New") {
      shots.push_back(std::move(event));
    }
  }
  ASSERT_EQ(shots.size(), 1u);
  // The site's order (`type, id`, then the requested fields), not the alphabetical order a sorted
  // re-serialisation gave (`attribute_name, created_at, entity, ...`).
  const std::string expected =
      "keys=['type', 'id', 'event_type', 'attribute_name', 'meta', 'entity', 'user', 'project', "
      "'session_uuid', 'created_at'] entity=['type', 'id', 'name']";
  ASSERT_TRUE((*plugin)->invoke(0, shots[0], {}).ok());
  EXPECT_EQ(host.count(expected), 1u) << shots[0].json;

  // An event built field by field gets the same order.
  core::Event bare = makeEvent(79, "Shotgun_Shot_New", std::nullopt);
  bare.json.clear();
  ASSERT_TRUE((*plugin)->invoke(0, bare, {}).ok());
  EXPECT_EQ(host.count(expected), 2u);
}

TEST(PythonApi, ReloadRunsAFreshModuleOutsideSysModulesAndSysPath) {
  TempDir dir;
  auto loader = makeLoader();
  Host host;
  auto id = writePlugin(dir, "reloading", R"PY(
import os, sys
assert __name__ not in sys.modules, "the plugin module is in sys.modules"
assert os.path.dirname(os.path.abspath(__file__)) not in sys.path, "the plugin folder is on sys.path"
counter = {"n": 0}

def cb(sg, logger, event, args):
    counter["n"] += 1
    logger.info("count %d", counter["n"])

def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", cb)
)PY");
  auto first = loader->load(id, host.context());
  ASSERT_TRUE(first.has_value()) << errorOf(first);
  auto event = makeEvent(1);
  EXPECT_TRUE((*first)->invoke(0, event, {}).ok());
  auto event2 = makeEvent(2);
  EXPECT_TRUE((*first)->invoke(0, event2, {}).ok());
  EXPECT_EQ(host.count("count 2"), 1u);

  auto second = loader->load(id, host.context());
  ASSERT_TRUE(second.has_value()) << errorOf(second);
  first->reset();  // the old version goes when its last reference does
  auto event3 = makeEvent(3);
  EXPECT_TRUE((*second)->invoke(0, event3, {}).ok());
  EXPECT_EQ(host.count("count 1"), 2u);  // module state started over
}

}  // namespace
}  // namespace sgeventd::plugins::python
