#pragma once
// One loaded version of a *.py plugin: its module, its callbacks (with their connections) and the
// Python half's run_callback and callback_failed. Every Python object here is created and destroyed with the
// GIL held.
#include <cstdint>
#include <optional>
#include <vector>

#include "plugins/plugin.h"
#include "plugins/python/event_dict.h"
#include "plugins/python/interpreter.h"

namespace sgeventd::plugins::python {

class PythonPlugin final : public Plugin {
 public:
  // `state` is the bootstrap's PluginState after a successful registerCallbacks. Needs the GIL.
  PythonPlugin(PluginId id, py::object state, bool useSessionUuid);
  ~PythonPlugin() override;  // takes the GIL to drop the module, callbacks and connections

  const PluginId& id() const override { return id_; }
  PluginKind kind() const override { return PluginKind::Python; }
  const std::vector<CallbackInfo>& callbacks() const override { return callbacks_; }
  InvokeResult invoke(std::size_t index, const core::Event& event, Deadline deadline) override;
  std::optional<EmailSetting> emails() const override { return emails_; }

 private:
  // The event dict for `event`: one per event, shared by this plugin's callbacks. Needs the GIL.
  py::object eventDict(const core::Event& event);
  // Callback `index` on `dict`: None, or the bootstrap's (transient, traceback) once it logged the
  // failure. Through its run_callback, which sets the session uuid first; or called from here, which
  // saves run_callback's frame on each event. Need the GIL.
  py::object viaBootstrap(std::size_t index, const py::object& dict);
  py::object direct(std::size_t index, const py::object& dict);

  // What a callback is called with, from its entry (fixed at registration).
  struct DirectCall {
    py::object function, sg, logger, args;
    void release() {
      function.release();
      sg.release();
      logger.release();
      args.release();
    }
  };

  PluginId id_;
  bool useSessionUuid_;
  std::vector<CallbackInfo> callbacks_;
  std::optional<EmailSetting> emails_;
  py::object state_;
  std::vector<py::object> entries_;
  std::vector<DirectCall> calls_;  // one per entry
  py::object runCallback_;
  py::object callbackFailed_;
  py::object makeEvent_;
  py::object toLocal_;     // the bootstrap's _local_from_api3, for the dict built here
  py::object isDateTime_;  // its _is_api3_datetime
  // Guarded by the GIL.
  const core::Event* lastEvent_ = nullptr;
  std::int64_t lastEventId_ = 0;
  py::object lastEventDict_;
  EventDictMemo dictMemo_;
};

// Compact api3 JSON of an event, for events that carry no `json` text (built field by field).
std::string eventJson(const core::Event& event);

}  // namespace sgeventd::plugins::python
