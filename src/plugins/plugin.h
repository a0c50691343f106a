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

struct CallbackOutcome {
  bool ok = true;
  std::string error;  // the message or traceback, already logged at CRITICAL by the plugin side
};

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
  virtual CallbackOutcome invoke(std::size_t index, const core::Event& event) = 0;
  // The last setEmails(...) of registerCallbacks; nullopt when it was never called.
  virtual std::optional<EmailSetting> emails() const { return std::nullopt; }
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
