// `sgeventd state show|failures|set`: the operator's view of the state database, and the explicit way
// to rewind or skip a plugin.
#include <CLI/CLI.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>

#include "app/admin_client.h"
#include "app/admin_commands.h"
#include "app/cli.h"
#include "config/daemon_config.h"
#include "store/state_report.h"
#include "store/state_store.h"

namespace sgeventd::app {

namespace {

struct StateOptions {
  std::optional<std::string> db;
  std::optional<std::string> plugin;
  std::optional<std::string> collection;
  std::string cursor;  // as typed: parseEventId() checks it (CLI11 would take "0x10" and clamp overflows)
  int limit = 20;
  bool allGaps = false;
};

// --db, else the state_database of the daemon's configuration (left in `loaded` when it was read).
Expected<std::string> databasePath(const StateOptions& options, const CommandLine& cl,
                                   std::optional<config::DaemonConfig>* loadedOut = nullptr) {
  if (options.db) {
    return *options.db;
  }
  const auto env = config::processEnvironment();
  auto configPath = config::locateConfig(cl.configPath, env, cl.argv0);
  if (!configPath) {
    return fail(configPath.error() + " (or give the database with --db PATH)");
  }
  auto loaded = config::loadDaemonConfig(*configPath, env);
  if (!loaded) {
    std::string message = "cannot read " + *configPath + " (or give the database with --db PATH):";
    for (const auto& error : loaded.error()) {
      message += "\n  " + error.describe();
    }
    return fail(message);
  }
  if (loaded->stateDatabase.empty()) {
    return fail(*configPath + " names no state database; give it with --db PATH");
  }
  if (loadedOut != nullptr) {
    *loadedOut = *loaded;
  }
  return loaded->stateDatabase;
}

int report(const Expected<std::string>& text) {
  if (!text) {
    std::cerr << "sgeventd state: " << text.error().message << '\n';
    return 1;
  }
  std::cout << *text;
  return 0;
}

Expected<std::unique_ptr<store::StateStore>> openStore(const StateOptions& options, const CommandLine& cl,
                                                       store::OpenMode mode) {
  auto path = databasePath(options, cl);
  if (!path) {
    return tl::unexpected(path.error());
  }
  return store::StateStore::open(*path, mode);
}

// A plugin's file in the folder its collection names: the config's own resolution of each `paths` entry,
// or the collection itself when it is absolute. nullopt when the folder cannot be told (--db alone and a
// relative entry).
std::optional<bool> pluginFileExists(const std::optional<config::DaemonConfig>& c,
                                     const std::string& collection, const std::string& plugin) {
  std::optional<std::filesystem::path> folder;
  if (c) {
    for (std::size_t i = 0; i < c->pluginPaths.size() && i < c->resolvedPluginPaths.size(); ++i) {
      if (c->pluginPaths[i] == collection) {
        folder = c->resolvedPluginPaths[i];
      }
    }
  }
  if (!folder && std::filesystem::path(collection).is_absolute()) {
    folder = collection;
  }
  if (!folder) {
    return std::nullopt;
  }
  std::error_code ec;
  return std::filesystem::is_regular_file(*folder / (plugin + ".py"), ec) ||
         std::filesystem::is_regular_file(*folder / (plugin + ".so"), ec);
}

int runShow(const StateOptions& options, const CommandLine& cl) {
  std::optional<config::DaemonConfig> loaded;
  auto path = databasePath(options, cl, &loaded);
  if (!path) {
    return report(tl::unexpected(path.error()));
  }
  auto opened = store::StateStore::open(*path, store::OpenMode::ReadOnly);
  if (!opened) {
    return report(tl::unexpected(opened.error()));
  }
  store::StateTableOptions table;
  table.allGaps = options.allGaps;
  table.fileExists = [&loaded](const std::string& collection, const std::string& plugin) {
    return pluginFileExists(loaded, collection, plugin);
  };
  return report(store::renderStateTable(**opened, std::chrono::system_clock::now(), table));
}

int runFailures(const StateOptions& options, const CommandLine& cl) {
  auto opened = openStore(options, cl, store::OpenMode::ReadOnly);
  if (!opened) {
    return report(tl::unexpected(opened.error()));
  }
  return report(store::renderFailures(**opened, options.plugin, options.limit));
}

// An event id as the operator typed it: decimal digits only, within int64. CLI11's integer parsing
// takes "0x10" as 16 and "0o7" as 7, clamps 99999999999999999999 to INT64_MAX (the plugin would then skip
// every event), and answers "-5" with a range message 300 digits long; none of that can be meant.
Expected<std::int64_t> parseEventId(const std::string& text) {
  const auto notAnId = [&text](const std::string& why) {
    return fail("\"" + text + "\" is not an event id: " + why);
  };
  if (text.empty()) {
    return notAnId("it is empty");
  }
  if (text[0] == '-' && text.size() > 1 && text.find_first_not_of("0123456789", 1) == std::string::npos) {
    return notAnId("event ids are not negative (0 means before the first event)");
  }
  if (text.find_first_not_of("0123456789") != std::string::npos) {
    return notAnId("an event id is written in decimal digits 0-9 only");
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range || end != text.data() + text.size()) {
    return notAnId("the largest event id is " + std::to_string(std::numeric_limits<std::int64_t>::max()));
  }
  return value;
}

int runSet(const StateOptions& options, const CommandLine& cl) {
  auto cursor = parseEventId(options.cursor);
  if (!cursor) {
    return report(tl::unexpected(cursor.error()));
  }
  // A running daemon takes the change through its admin API (applied between two events); without one
  // the database is changed directly.
  if (!options.db) {
    const auto env = config::processEnvironment();
    auto configPath = config::locateConfig(cl.configPath, env, cl.argv0);
    auto loaded = configPath ? std::optional(config::loadDaemonConfig(*configPath, env)) : std::nullopt;
    if (loaded && *loaded && daemonRuns(**loaded)) {
      if (auto online = setCursorOnline(**loaded, *options.plugin, options.collection, *cursor)) {
        return report(*online);
      }
    }
  }
  auto opened = openStore(options, cl, store::OpenMode::Offline);
  if (!opened) {
    Error error = opened.error();
    if (error.message.find("in use by another sgeventd") != std::string::npos) {
      error.message += "; stop the daemon before changing its state";
    }
    return report(tl::unexpected(error));
  }
  return report(store::setPluginCursor(**opened, *options.plugin, *cursor, options.collection));
}

void addDbOption(CLI::App& command, StateOptions& options) {
  command.add_option("--db", options.db, "State database (default: state_database of the configuration)");
}

}  // namespace

void registerStateCommand(CLI::App& root, CommandLine& cl) {
  auto options = std::make_shared<StateOptions>();
  auto* state = root.add_subcommand("state", "Show or change the plugins' checkpoints in the state database");
  state->require_subcommand(1);

  auto* show = state->add_subcommand("show", "Each plugin's cursor, lag, open gaps and status");
  addDbOption(*show, *options);
  show->add_flag(
      "--all-gaps", options->allGaps,
      "List every open gap range (by default a long backlog shows its count and first and last few)");
  show->callback([options, &cl] { cl.action = [options, &cl] { return runShow(*options, cl); }; });

  auto* failures = state->add_subcommand("failures", "The last callback failures, newest first");
  failures->add_option("plugin", options->plugin, "Only this plugin's failures");
  failures->add_option("--limit", options->limit, "How many to show")->check(CLI::PositiveNumber);
  addDbOption(*failures, *options);
  failures->callback([options, &cl] { cl.action = [options, &cl] { return runFailures(*options, cl); }; });

  auto* set = state->add_subcommand(
      "set", "Rewind or skip a plugin: its next event is ID + 1 (the daemon must be stopped)");
  set->add_option("plugin", options->plugin, "Plugin name")->required();
  set->add_option("id", options->cursor, "Last event id to treat as processed (decimal, 0 or more)")
      ->required();
  set->add_option("--collection", options->collection,
                  "Plugin path (collection) when the name is ambiguous or new");
  addDbOption(*set, *options);
  set->callback([options, &cl] { cl.action = [options, &cl] { return runSet(*options, cl); }; });
}

}  // namespace sgeventd::app
