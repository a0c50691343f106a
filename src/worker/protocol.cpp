#include "worker/protocol.h"

#include <nlohmann/json.hpp>

#include "plugins/native/match_spec_json.h"
#include "shotgrid/event_codec.h"

namespace sgeventd::worker {
namespace {

using Json = nlohmann::ordered_json;  // ordered: an event keeps the site's key order for Python plugins

Json matchToJson(const core::MatchSpec& spec) {
  if (spec.matchAll) {
    return nullptr;
  }
  Json out = Json::object();
  for (const auto& [type, attrs] : spec.byEventType) {
    switch (attrs.kind) {
      case core::MatchAttrs::Kind::Any:
        out[type] = nullptr;
        break;
      case core::MatchAttrs::Kind::Substring:
        out[type] = attrs.text;
        break;
      case core::MatchAttrs::Kind::Members: {
        Json list = Json::array();
        for (const auto& m : attrs.members) {
          list.push_back(m);
        }
        // Only their number matters (they never equal a name): any non-string stands for each.
        for (std::size_t i = 0; i < attrs.nonStringMembers; ++i) {
          list.push_back(0);
        }
        out[type] = std::move(list);
        break;
      }
    }
  }
  return out;
}

Json emailsToJson(const std::optional<plugins::EmailSetting>& emails) {
  if (!emails) {
    return nullptr;
  }
  const char* mode = emails->mode == plugins::EmailSetting::Mode::Default    ? "default"
                     : emails->mode == plugins::EmailSetting::Mode::Disabled ? "disabled"
                                                                             : "addresses";
  return Json{{"mode", mode}, {"addresses", emails->addresses}};
}

Json idToJson(const plugins::PluginId& id) {
  return Json{{"collection", id.collection}, {"name", id.name}, {"path", id.path.string()}};
}

// `header` (a JSON object) with an "events" list of the records as the site sent them (Event::json),
// spliced in without a parse.
std::string withEvents(const Json& header, const std::vector<core::EventPtr>& events) {
  std::string out = header.dump();
  out.pop_back();
  out += ",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += events[i]->json;
  }
  out += "]}";
  return out;
}

struct Encoder {
  std::string operator()(const Hello& m) const {
    return Json{{"op", "hello"}, {"version", m.version}, {"pid", m.pid}}.dump();
  }
  std::string operator()(const Load& m) const {
    return Json{{"op", "load"}, {"handle", m.handle}, {"plugin", idToJson(m.id)}}.dump();
  }
  std::string operator()(const Loaded& m) const {
    Json callbacks = Json::array();
    for (const auto& cb : m.callbacks) {
      callbacks.push_back(
          Json{{"name", cb.name}, {"match", matchToJson(cb.match)}, {"stop_on_error", cb.stopOnError}});
    }
    return Json{
        {"op", "loaded"}, {"handle", m.handle}, {"callbacks", callbacks}, {"emails", emailsToJson(m.emails)}}
        .dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  std::string operator()(const LoadFailed& m) const {
    return Json{{"op", "load_failed"}, {"handle", m.handle}, {"kind", m.kind}, {"message", m.message}}.dump(
        -1, ' ', false, Json::error_handler_t::replace);
  }
  std::string operator()(const Invoke& m) const {
    return withEvents(
        Json{{"op", "invoke"}, {"request", m.request}, {"handle", m.handle}, {"callback", m.callback}},
        m.events);
  }
  std::string operator()(const Run& m) const {
    return withEvents(Json{{"op", "run"}, {"request", m.request}, {"handle", m.handle}}, m.events);
  }
  std::string operator()(const Cancel& m) const {
    return Json{{"op", "cancel"}, {"request", m.request}}.dump();
  }
  std::string operator()(const RunEnd& m) const {
    return Json{{"op", "run_end"}, {"request", m.request}, {"completed", m.completed}}.dump();
  }
  std::string operator()(const Result& m) const {
    return Json{{"op", "result"},
                {"request", m.request},
                {"event", m.eventId},
                {"callback", m.callback},
                {"status", plugins::invokeStatusName(m.result.status)},
                {"message", m.result.message},
                {"last", m.last}}
        .dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  std::string operator()(const Unload& m) const {
    return Json{{"op", "unload"}, {"handle", m.handle}}.dump();
  }
  std::string operator()(const Stop&) const { return Json{{"op", "stop"}}.dump(); }
  std::string operator()(const LogRecord& m) const {
    return Json{{"op", "log"},          {"logger", m.logger}, {"level", static_cast<int>(m.level)},
                {"message", m.message}, {"path", m.path},     {"function", m.function},
                {"line", m.line}}
        .dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  std::string operator()(const SetLevel& m) const {
    return Json{{"op", "set_level"}, {"logger", m.logger}, {"level", static_cast<int>(m.level)}}.dump();
  }
};

// Field access that reports what is missing instead of throwing out of the decoder.
template <class T>
Expected<T> field(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) {
    return fail(std::string("a worker message lacks \"") + name + "\"");
  }
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fail(std::string("a worker message has a \"") + name + "\" of the wrong type");
  }
}

#define SGEVENTD_FIELD(var, type, object, name) \
  auto var##_ = field<type>(object, name);      \
  if (!var##_) {                                \
    return unexpected(var##_.error());          \
  }                                             \
  type var = std::move(*var##_)

Expected<plugins::InvokeStatus> statusOf(const std::string& name) {
  for (const auto s : {plugins::InvokeStatus::Ok, plugins::InvokeStatus::Retry, plugins::InvokeStatus::Error,
                       plugins::InvokeStatus::Crashed, plugins::InvokeStatus::TimedOut}) {
    if (plugins::invokeStatusName(s) == name) {
      return s;
    }
  }
  return fail("a worker result has the unknown status \"" + name + "\"");
}

Expected<core::LogLevel> levelOf(int level) {
  if (level < 0 || level > 100) {
    return fail("a worker log record has the level " + std::to_string(level));
  }
  return static_cast<core::LogLevel>(level);
}

// The "events" list of an invoke or a run, decoded as the fetcher decodes the site's records.
Expected<std::vector<core::EventPtr>> eventsOf(Json& j, const std::string& op) {
  auto events = j.find("events");
  if (events == j.end() || !events->is_array()) {
    return fail("a worker " + op + " has no \"events\" list");
  }
  std::vector<core::EventPtr> out;
  for (auto& record : *events) {
    auto event = shotgrid::eventFromRecord(std::move(record));
    if (!event) {
      return unexpected(event.error());
    }
    out.push_back(std::make_shared<const core::Event>(std::move(*event)));
  }
  return out;
}

Expected<Message> decodeObject(Json& j) {
  SGEVENTD_FIELD(op, std::string, j, "op");
  if (op == "hello") {
    SGEVENTD_FIELD(version, int, j, "version");
    SGEVENTD_FIELD(pid, std::int64_t, j, "pid");
    return Hello{version, pid};
  }
  if (op == "load") {
    SGEVENTD_FIELD(handle, std::uint64_t, j, "handle");
    SGEVENTD_FIELD(plugin, Json, j, "plugin");
    SGEVENTD_FIELD(collection, std::string, plugin, "collection");
    SGEVENTD_FIELD(name, std::string, plugin, "name");
    SGEVENTD_FIELD(path, std::string, plugin, "path");
    return Load{handle, plugins::PluginId{collection, name, path}};
  }
  if (op == "loaded") {
    SGEVENTD_FIELD(handle, std::uint64_t, j, "handle");
    SGEVENTD_FIELD(callbacks, Json, j, "callbacks");
    Loaded out{handle, {}, std::nullopt};
    if (!callbacks.is_array()) {
      return fail("a worker's \"callbacks\" is not a list");
    }
    for (const auto& cb : callbacks) {
      SGEVENTD_FIELD(name, std::string, cb, "name");
      SGEVENTD_FIELD(stopOnError, bool, cb, "stop_on_error");
      const auto match = cb.find("match");
      auto spec = plugins::native::matchSpecFromJson(
          match == cb.end() ? nlohmann::json() : nlohmann::json::parse(match->dump()));
      if (!spec) {
        return unexpected(spec.error());
      }
      out.callbacks.push_back({name, std::move(*spec), stopOnError});
    }
    if (const auto emails = j.find("emails"); emails != j.end() && !emails->is_null()) {
      SGEVENTD_FIELD(mode, std::string, *emails, "mode");
      SGEVENTD_FIELD(addresses, std::vector<std::string>, *emails, "addresses");
      plugins::EmailSetting setting;
      setting.mode = mode == "default"    ? plugins::EmailSetting::Mode::Default
                     : mode == "disabled" ? plugins::EmailSetting::Mode::Disabled
                                          : plugins::EmailSetting::Mode::Addresses;
      setting.addresses = std::move(addresses);
      out.emails = std::move(setting);
    }
    return out;
  }
  if (op == "load_failed") {
    SGEVENTD_FIELD(handle, std::uint64_t, j, "handle");
    SGEVENTD_FIELD(kind, int, j, "kind");
    SGEVENTD_FIELD(message, std::string, j, "message");
    return LoadFailed{handle, kind, message};
  }
  if (op == "run") {
    SGEVENTD_FIELD(request, std::uint64_t, j, "request");
    SGEVENTD_FIELD(handle, std::uint64_t, j, "handle");
    auto events = eventsOf(j, op);
    if (!events) {
      return unexpected(events.error());
    }
    return Run{request, handle, std::move(*events)};
  }
  if (op == "cancel") {
    SGEVENTD_FIELD(request, std::uint64_t, j, "request");
    return Cancel{request};
  }
  if (op == "run_end") {
    SGEVENTD_FIELD(request, std::uint64_t, j, "request");
    SGEVENTD_FIELD(completed, bool, j, "completed");
    return RunEnd{request, completed};
  }
  if (op == "invoke") {
    SGEVENTD_FIELD(request, std::uint64_t, j, "request");
    SGEVENTD_FIELD(handle, std::uint64_t, j, "handle");
    SGEVENTD_FIELD(callback, std::size_t, j, "callback");
    auto events = eventsOf(j, op);
    if (!events) {
      return unexpected(events.error());
    }
    return Invoke{request, handle, callback, std::move(*events)};
  }
  if (op == "result") {
    SGEVENTD_FIELD(request, std::uint64_t, j, "request");
    SGEVENTD_FIELD(eventId, std::int64_t, j, "event");
    SGEVENTD_FIELD(status, std::string, j, "status");
    SGEVENTD_FIELD(message, std::string, j, "message");
    SGEVENTD_FIELD(last, bool, j, "last");
    SGEVENTD_FIELD(callback, std::size_t, j, "callback");
    auto s = statusOf(status);
    if (!s) {
      return unexpected(s.error());
    }
    return Result{request, eventId, plugins::InvokeResult{*s, message}, last, callback};
  }
  if (op == "unload") {
    SGEVENTD_FIELD(handle, std::uint64_t, j, "handle");
    return Unload{handle};
  }
  if (op == "stop") {
    return Stop{};
  }
  if (op == "log") {
    SGEVENTD_FIELD(logger, std::string, j, "logger");
    SGEVENTD_FIELD(level, int, j, "level");
    SGEVENTD_FIELD(message, std::string, j, "message");
    SGEVENTD_FIELD(path, std::string, j, "path");
    SGEVENTD_FIELD(function, std::string, j, "function");
    SGEVENTD_FIELD(line, int, j, "line");
    auto l = levelOf(level);
    if (!l) {
      return unexpected(l.error());
    }
    return LogRecord{logger, *l, message, path, function, line};
  }
  if (op == "set_level") {
    SGEVENTD_FIELD(logger, std::string, j, "logger");
    SGEVENTD_FIELD(level, int, j, "level");
    auto l = levelOf(level);
    if (!l) {
      return unexpected(l.error());
    }
    return SetLevel{logger, *l};
  }
  return fail("a worker message has the unknown op \"" + op + "\"");
}

#undef SGEVENTD_FIELD

}  // namespace

std::string encode(const Message& message) { return std::visit(Encoder{}, message); }

Expected<Message> decode(const std::string& frame) {
  Json j = Json::parse(frame, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("a worker message is not a JSON object");
  }
  return decodeObject(j);
}

}  // namespace sgeventd::worker
