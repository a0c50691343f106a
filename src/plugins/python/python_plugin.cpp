#include "plugins/python/python_plugin.h"

#include <nlohmann/json.hpp>

#include "plugins/python/datetime_count.h"
#include "plugins/python/event_dict.h"
#include "plugins/python/log_routing.h"
#include "shotgrid/datetime.h"

namespace sgeventd::plugins::python {
namespace {

// Ordered, so a plugin iterating the event sees the keys in the order the site sends them.
using Json = nlohmann::ordered_json;

Json entityJson(const std::optional<core::EntityRef>& entity) {
  if (!entity) {
    return nullptr;
  }
  Json out = {{"type", entity->type}, {"id", entity->id}};
  out["name"] = entity->name.empty() ? Json(nullptr) : Json(entity->name);
  return out;
}

EmailSetting toEmails(py::handle setting) {
  EmailSetting emails;
  const auto mode = setting[py::int_(0)].cast<std::string>();
  if (mode == "disabled") {
    emails.mode = EmailSetting::Mode::Disabled;
  } else if (mode == "addresses") {
    emails.mode = EmailSetting::Mode::Addresses;
    for (py::handle address : setting[py::int_(1)]) {
      emails.addresses.push_back(address.cast<std::string>());
    }
  }
  return emails;
}

}  // namespace

std::string eventJson(const core::Event& event) {
  // The order of shotgrid::eventFields(), which is how the site answers the daemon's event query.
  Json out = {{"type", "EventLogEntry"}, {"id", event.id}, {"event_type", event.eventType}};
  out["attribute_name"] = event.attributeName ? Json(*event.attributeName) : Json(nullptr);
  Json meta = Json::parse(event.metaJson, nullptr, false);
  out["meta"] = meta.is_discarded() ? Json(nullptr) : std::move(meta);
  out["entity"] = entityJson(event.entity);
  out["user"] = entityJson(event.user);
  out["project"] = entityJson(event.project);
  out["session_uuid"] = event.sessionUuid ? Json(*event.sessionUuid) : Json(nullptr);
  out["created_at"] = event.createdAt ? Json(shotgrid::formatDateTime(*event.createdAt)) : Json(nullptr);
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

PythonPlugin::PythonPlugin(PluginId id, py::object state, bool useSessionUuid)
    : id_(std::move(id)), useSessionUuid_(useSessionUuid), state_(std::move(state)) {
  for (py::handle entry : state_.attr("callbacks")) {
    entries_.push_back(py::reinterpret_borrow<py::object>(entry));
    calls_.push_back(
        DirectCall{entry.attr("function"), entry.attr("sg"), entry.attr("logger"), entry.attr("args")});
    callbacks_.push_back(CallbackInfo{entry.attr("name").cast<std::string>(),
                                      entry.attr("match").cast<core::MatchSpec>(),
                                      entry.attr("stop_on_error").cast<bool>()});
  }
  if (py::object emails = state_.attr("emails"); !emails.is_none()) {
    emails_ = toEmails(emails);
  }
  runCallback_ = bootstrap().attr("run_callback");
  callbackFailed_ = bootstrap().attr("callback_failed");
  makeEvent_ = bootstrap().attr("make_event");
  toLocal_ = bootstrap().attr("_local_from_api3");
  isDateTime_ = bootstrap().attr("_is_api3_datetime");
}

PythonPlugin::~PythonPlugin() {
  if (!pythonRunning()) {
    // After finalizePython the objects are gone with the interpreter; only forget the handles.
    for (auto& entry : entries_) {
      entry.release();
    }
    for (auto& call : calls_) {
      call.release();
    }
    state_.release();
    runCallback_.release();
    callbackFailed_.release();
    makeEvent_.release();
    toLocal_.release();
    isDateTime_.release();
    lastEventDict_.release();
    dictMemo_.release();
    return;
  }
  py::gil_scoped_acquire gil;
  entries_.clear();
  calls_.clear();
  state_ = py::object();
  runCallback_ = py::object();
  callbackFailed_ = py::object();
  makeEvent_ = py::object();
  toLocal_ = py::object();
  isDateTime_ = py::object();
  lastEventDict_ = py::object();
  dictMemo_.clear();
}

py::object PythonPlugin::eventDict(const core::Event& event) {
  if (lastEvent_ == &event && lastEventId_ == event.id && lastEventDict_) {
    return lastEventDict_;
  }
  std::string built;
  const std::string& text = event.json.empty() ? (built = eventJson(event)) : event.json;
  if (auto dict = buildEventDict(text, toLocal_, isDateTime_, dictMemo_)) {
    lastEventDict_ = std::move(*dict);
  } else {
    lastEventDict_ = makeEvent_(text, countApi3DateTimes(text));
  }
  lastEvent_ = &event;
  lastEventId_ = event.id;
  return lastEventDict_;
}

py::object PythonPlugin::viaBootstrap(std::size_t index, const py::object& dict) {
  // A vector call: pybind's call operator would build an argument tuple per event.
  PyObject* args[] = {entries_[index].ptr(), dict.ptr()};
  PyObject* called = PyObject_Vectorcall(runCallback_.ptr(), args, 2, nullptr);
  if (called == nullptr) {
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::object>(called);
}

py::object PythonPlugin::direct(std::size_t index, const py::object& dict) {
  const DirectCall& call = calls_[index];
  PyObject* args[] = {call.sg.ptr(), call.logger.ptr(), dict.ptr(), call.args.ptr()};
  if (PyObject* called = PyObject_Vectorcall(call.function.ptr(), args, 4, nullptr)) {
    Py_DECREF(called);
    return py::none();
  }
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  const auto heldType = py::reinterpret_steal<py::object>(type);
  const auto error = py::reinterpret_steal<py::object>(value);
  if (!error) {  // a call that returned NULL with no exception set: a broken extension
    Py_XDECREF(traceback);
    return py::make_tuple(false, "the callback failed without raising an exception");
  }
  // Called from here, the traceback starts at the callback's own frame; none when the call itself failed.
  if (traceback != nullptr) {
    PyException_SetTraceback(error.ptr(), traceback);
    Py_DECREF(traceback);
  }
  PyObject* failedArgs[] = {entries_[index].ptr(), error.ptr()};
  PyObject* failed = PyObject_Vectorcall(callbackFailed_.ptr(), failedArgs, 2, nullptr);
  if (failed == nullptr) {
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::object>(failed);
}

InvokeResult PythonPlugin::invoke(std::size_t index, const core::Event& event, Deadline) {
  if (index >= entries_.size()) {
    return InvokeResult::error("no callback #" + std::to_string(index) + " in plugin " + id_.name);
  }
  if (!pythonRunning()) {
    return InvokeResult::error("the Python interpreter is not running");
  }
  std::string failure;
  {
    py::gil_scoped_acquire gil;
    // Keep this thread's Python thread state between calls (a lane thread invokes many events); it
    // goes with the interpreter at finalizePython.
    static thread_local bool keptThreadState = false;
    if (!keptThreadState) {
      gil.inc_ref();
      keptThreadState = true;
    }
    try {
      const py::object& dict = eventDict(event);
      py::object failed = useSessionUuid_ ? viaBootstrap(index, dict) : direct(index, dict);
      if (failed.is_none()) {
        return {};
      }
      // (transient, traceback), already logged by the bootstrap with the level that fits.
      const bool transient = failed[py::int_(0)].cast<bool>();
      return InvokeResult::failure(transient ? InvokeStatus::Retry : InvokeStatus::Error,
                                   failed[py::int_(1)].cast<std::string>());
    } catch (const py::error_already_set& error) {
      // Only the bootstrap's own machinery gets here (e.g. an event that is not JSON).
      failure = error.what();
    } catch (const std::exception& error) {
      failure = error.what();
    }
  }
  const std::string text = "An error occured processing an event.\n\n" + failure;
  logRouted("plugin." + id_.name + "." + callbacks_[index].name, core::LogLevel::Critical, text);
  return InvokeResult::error(failure);
}

}  // namespace sgeventd::plugins::python
