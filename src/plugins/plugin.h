#pragma once
// What the engine knows of a plugin: its callbacks and how to invoke them. Native (.so) and Python (.py)
// plugins both hide behind this; the engine never sees which.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/expected.h"
#include "core/log.h"
#include "core/match_events.h"

namespace sgeventd::shotgrid {
class Client;
}

namespace sgeventd::plugins {

// A plugin is keyed as the original keys its state: the configured folder (as written in the config)
// and the plugin name (file name minus its last extension).
struct PluginId {
  std::string collection;      // the `paths` entry as written
  std::string name;            // "my.plugin" for my.plugin.py
  std::filesystem::path path;  // absolute path of the file
  std::string key() const { return collection + "::" + name; }
};

struct CallbackInfo {
  std::string name;  // the callback's name; its logger is plugin.<plugin>.<name>
  core::MatchSpec match;
  bool stopOnError = true;
};

// How one callback attempt ended. Only transient failures are retried by default (retry_on = transient):
// Retry (a native RETRY result; a connection error, timeout, HTTP 429 or 5xx seen by a Python plugin),
// Crashed (the process running it died) and TimedOut (past its deadline). Error is any other failure and
// gets the original's behaviour at once: skipped with stopOnError=False, else the plugin is deactivated.
enum class InvokeStatus { Ok, Retry, Error, Crashed, TimedOut };

std::string_view invokeStatusName(InvokeStatus status);  // "ok", "retry", "error", "crashed", "timed-out"

struct InvokeResult {
  InvokeStatus status = InvokeStatus::Ok;
  // The message or traceback, already logged once by the plugin side: an Error at CRITICAL (the
  // original's line), a Retry at WARNING (it is retried; a CRITICAL per attempt would mail each one).
  // Whoever gives up on a transient result logs it as the failure it then becomes.
  std::string message;

  bool ok() const { return status == InvokeStatus::Ok; }
  bool transient() const {
    return status == InvokeStatus::Retry || status == InvokeStatus::Crashed ||
           status == InvokeStatus::TimedOut;
  }
  static InvokeResult success() { return {}; }
  static InvokeResult failure(InvokeStatus status, std::string message) {
    return {status, std::move(message)};
  }
  static InvokeResult error(std::string message) { return {InvokeStatus::Error, std::move(message)}; }
};

// When an attempt must have returned; nullopt: no limit (callback_timeout off). A plugin running in the
// lane's own thread cannot be stopped, so it only reports; a worker process is killed past it.
using Deadline = std::optional<std::chrono::steady_clock::time_point>;

enum class PluginKind { Native, Python };

// setEmails(...) as the plugin asked for it (the fixed semantics: True/False really mean default/none).
struct EmailSetting {
  enum class Mode { Default, Disabled, Addresses };
  Mode mode = Mode::Default;
  std::vector<std::string> addresses;  // Mode::Addresses
};

// Error::code of a failed PluginLoader::load, so the catalog logs the original's line for each case.
enum class LoadErrorKind : int {
  Load = 1,  // file/dlopen/import failure: "Could not load the plugin at %s.\n\n%s"
  Registration =
      2,  // registerCallbacks failed: "Error running register callback function from plugin at %s..."
  MissingEntry =
      3,  // no registerCallbacks / entry symbol: "Did not find a registerCallbacks function in ..."
};

// One loaded version of a plugin file. A lane calls invoke() from one thread at a time; the object
// outlives every call in flight (shared ownership), so a reload swaps versions between events.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual const PluginId& id() const = 0;
  virtual PluginKind kind() const = 0;
  virtual const std::vector<CallbackInfo>& callbacks() const = 0;
  // Runs callback `index` for `event`: never throws, never lets a plugin's failure escape.
  virtual InvokeResult invoke(std::size_t index, const core::Event& event, Deadline deadline) = 0;
  // The last setEmails(...) of registerCallbacks; nullopt when it was never called.
  virtual std::optional<EmailSetting> emails() const { return std::nullopt; }

  // Run-ahead, for plugins in another process, where a round trip per callback costs more than most
  // callbacks: the lane offers the events it is about to dispatch to this plugin, in order. The plugin
  // may run them ahead (every callback in registration order with matchEvents, stopping at the first
  // attempt that does not succeed); invoke() then answers from what ran. Others ignore it.
  virtual void offer(const std::vector<core::EventPtr>& upcoming) { (void)upcoming; }
  // Nothing more is to run ahead (an operator's request or a stop waits for the lane).
  virtual void withdrawOffer() {}
  // Offered events are running or ran and their results were not all asked for: the lane keeps
  // dispatching them before it applies a request or stops, so nothing that ran is forgotten. After
  // withdrawOffer() it may wait for the event in progress to tell whether one more result comes.
  virtual bool ranAhead() { return false; }
};
using PluginPtr = std::shared_ptr<Plugin>;

// Builds the connection each callback gets, with the plugin's own script name and key.
using ClientFactory = std::function<std::unique_ptr<shotgrid::Client>(const std::string& scriptName,
                                                                      const std::string& scriptKey)>;

// What a loader needs from the daemon.
struct HostContext {
  core::LogFactoryPtr logs;
  ClientFactory makeClient;
  bool useSessionUuid = false;  // [shotgun] use_session_uuid: set_session_uuid(event.session_uuid) per call
};

// Loads one kind of plugin file.
class PluginLoader {
 public:
  virtual ~PluginLoader() = default;
  virtual bool handles(const std::filesystem::path& file) const = 0;
  // Loads a fresh version (a reload calls this again). The error text is the reason an operator
  // needs: the dlerror or traceback, a missing registerCallbacks, an ABI mismatch.
  virtual Expected<PluginPtr> load(const PluginId& id, const HostContext& context) = 0;
};
using PluginLoaderPtr = std::unique_ptr<PluginLoader>;

}  // namespace sgeventd::plugins
