#pragma once
// Shared helpers of the Python loader tests: plugin files in temp folders, a loader, a simulated site.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../plugins/test_support.h"
#include "core/memory_log.h"
#include "plugins/python/python_loader.h"
#include "shotgrid/client.h"
#include "sim/server.h"
#include "sim/site.h"

namespace sgeventd::plugins::python::testing {

using plugins::testing::idFor;
using plugins::testing::makeEvent;
using plugins::testing::TempDir;
using plugins::testing::writeFile;

// Aborts the test binary when Python cannot start: every test needs it.
inline PluginLoaderPtr makeLoader(PythonSettings settings = {}) {
  auto loader = makePythonLoader(std::move(settings));
  if (!loader) {
    ADD_FAILURE() << loader.error().message;
    std::abort();
  }
  return std::move(*loader);
}

// A plugin file `name`.py with `source` in `dir`; returns its PluginId.
inline PluginId writePlugin(const TempDir& dir, const std::string& name, const std::string& source) {
  auto file = dir.path() / (name + ".py");
  writeFile(file, source);
  return idFor(file);
}

inline std::string errorOf(const Expected<PluginPtr>& loaded) {
  return loaded ? std::string() : loaded.error().message;
}

// A simulated site on 127.0.0.1:<port 0> with the default script and two plugin scripts.
struct SimSite {
  std::unique_ptr<sim::Site> site;
  std::unique_ptr<sim::Server> server;

  SimSite() {
    sim::SiteOptions options;
    options.scripts = {{"sgeventd", "sim-key"}, {"plugin_a", "key-a"}, {"plugin_b", "key-b"}};
    site = std::move(sim::Site::open(options).value());
    server = std::make_unique<sim::Server>(*site);
    EXPECT_TRUE(server->start().has_value());
  }
  ~SimSite() { server->stop(); }

  std::unique_ptr<shotgrid::Client> client(const std::string& name = "sgeventd",
                                           const std::string& key = "sim-key") const {
    shotgrid::ClientOptions options;
    options.server = server->url();
    options.auth = {name, key, std::nullopt, std::nullopt};
    options.acceptCompression = false;
    options.retry.maxAttempts = 1;
    return std::make_unique<shotgrid::Client>(options);
  }
  ClientFactory factory() const {
    const std::string url = server->url();
    return [url](const std::string& name, const std::string& key) {
      shotgrid::ClientOptions options;
      options.server = url;
      options.auth = {name, key, std::nullopt, std::nullopt};
      options.acceptCompression = false;
      options.retry.maxAttempts = 1;
      return std::make_unique<shotgrid::Client>(options);
    };
  }
  // Events after `afterId`, as the engine would fetch them.
  std::vector<core::Event> eventsAfter(std::int64_t afterId) const {
    auto events = client()->findEvents(shotgrid::Json::array({{"id", "greater_than", afterId}}), 500);
    EXPECT_TRUE(events.has_value()) << (events ? "" : events.error().describe());
    return events ? *events : std::vector<core::Event>{};
  }
};

struct Host {
  std::shared_ptr<core::MemoryLogFactory> logs = std::make_shared<core::MemoryLogFactory>();
  ClientFactory factory;
  bool useSessionUuid = false;
  HostContext context() const { return HostContext{logs, factory, useSessionUuid}; }
  std::size_t count(const std::string& needle) const { return logs->sink().count(needle); }
  std::vector<core::LogRecord> records(const std::string& needle) const {
    return logs->sink().matching(needle);
  }
};

// Invokes every callback of `plugin` whose matchEvents accepts `event`, in registration order, stopping
// at a failure with stopOnError as the engine does. Returns the outcomes of the callbacks that ran.
inline std::vector<InvokeResult> dispatch(Plugin& plugin, const core::Event& event) {
  std::vector<InvokeResult> outcomes;
  for (std::size_t i = 0; i < plugin.callbacks().size(); ++i) {
    if (!core::matchesEvent(plugin.callbacks()[i].match, event)) {
      continue;
    }
    outcomes.push_back(plugin.invoke(i, event, {}));
    if (!outcomes.back().ok() && plugin.callbacks()[i].stopOnError) {
      break;
    }
  }
  return outcomes;
}

}  // namespace sgeventd::plugins::python::testing
