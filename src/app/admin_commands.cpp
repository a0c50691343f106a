// The commands that talk to a running daemon through its admin API: `plugins enable|disable|reload
// NAME`, `failures list|show|replay`. `failures list` and `show` read the state database when no daemon
// answers; the others need the daemon (what they change is applied by its lanes).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/admin_client.h"
#include "app/admin_commands.h"
#include "app/cli.h"
#include "app/load_config.h"
#include "broker/connection.h"
#include "broker/failure_reader.h"
#include "config/daemon_config.h"
#include "shotgrid/datetime.h"
#include "store/state_report.h"
#include "store/state_store.h"

namespace sgeventd::app {

namespace {

using nlohmann::json;

struct FailureOptions {
  std::optional<std::string> plugin;
  std::optional<std::string> since;
  int limit = 20;
  std::string id;
};

std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

int printFailureList(const json& reply) {
  const auto& failures = reply["failures"];
  if (failures.empty()) {
    std::cout << "no failure records\n";
    return 0;
  }
  std::cout << fmt::format("{:>6}  {:<20}  {:<24}  {:>10}  {:>3}  {}\n", "ID", "AT", "PLUGIN.CALLBACK",
                           "EVENT", "TRY", "ERROR");
  for (const auto& f : failures) {
    std::cout << fmt::format(
        "{:>6}  {:<20}  {:<24}  {:>10}  {:>3}  {}{}\n", f["id"].get<std::int64_t>(),
        f["at"].get<std::string>(), f["plugin"].get<std::string>() + "." + f["callback"].get<std::string>(),
        f["event_id"].get<std::int64_t>(), f["attempts"].get<int>(),
        f["final"].get<bool>() ? "" : "(retried) ", firstLine(f["error"].get<std::string>()));
  }
  return 0;
}

void printFailure(const json& f) {
  std::cout << fmt::format("failure {}: plugin {} ({}), callback {}, event {}, {} attempt(s), at {}{}\n",
                           f["id"].get<std::int64_t>(), f["plugin"].get<std::string>(),
                           f["collection"].get<std::string>(), f["callback"].get<std::string>(),
                           f["event_id"].get<std::int64_t>(), f["attempts"].get<int>(),
                           f["at"].get<std::string>(), f["final"].get<bool>() ? " (given up)" : "");
  std::cout << f["error"].get<std::string>() << "\n";
  if (f.contains("event") && !f["event"].is_null()) {
    std::cout << "event: " << f["event"].dump(2) << "\n";
  }
}

// The reply's JSON when the daemon answered 2xx; otherwise prints why and returns nullopt.
std::optional<json> expectOk(const Expected<AdminReply>& reply, const std::string& what) {
  if (!reply) {
    std::cerr << "sgeventd: cannot " << what << ": " << reply.error().message << "\n";
    return std::nullopt;
  }
  if (reply->status / 100 != 2) {
    std::cerr << "sgeventd: cannot " << what << ": " << replyError(*reply) << "\n";
    return std::nullopt;
  }
  auto body = json::parse(reply->body, nullptr, false);
  if (body.is_discarded()) {
    std::cerr << "sgeventd: cannot " << what << ": the daemon's reply is not JSON\n";
    return std::nullopt;
  }
  return body;
}

int runPluginAction(const CommandLine& cl, const std::string& action, const std::string& plugin) {
  auto c = loadConfigForCommand(cl);
  if (!c) {
    return 1;
  }
  if (!daemonRuns(*c)) {
    std::cerr << fmt::format("sgeventd is not running on this configuration: nothing to {} {} in\n", action,
                             plugin);
    return 1;
  }
  auto client = AdminClient::forConfig(*c);
  if (!client) {
    std::cerr << "sgeventd: [admin] listen is empty: the daemon has no admin API to " << action
              << " through\n";
    return 1;
  }
  auto reply = expectOk(client->post("/api/v1/plugins/" + AdminClient::escape(plugin) + "/" + action),
                        action + " " + plugin);
  if (!reply) {
    return 1;
  }
  std::cout << fmt::format("{} {}: accepted; the daemon applies it between two events\n", action, plugin);
  return 0;
}

// Broker mode: the plugins run in workers, whose give-ups are records of the failures stream, read from
// the servers (any host with the config can list them).
std::optional<broker::ConnectionPtr> brokerConnection(const config::DaemonConfig& c) {
  auto options = broker::connectOptionsOf(c.broker);
  options.name = "sgeventd failures";
  auto connection = broker::Connection::connect(options);
  if (!connection) {
    std::cerr << "sgeventd: cannot reach NATS: " << connection.error().message << "\n";
    return std::nullopt;
  }
  return broker::ConnectionPtr(std::move(*connection));
}

std::int64_t intOf(const json& record, const char* key) {
  const auto it = record.find(key);
  return it != record.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string textOf(const json& record, const char* key) {
  const auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int runBrokerFailuresList(const config::DaemonConfig& c, const FailureOptions& o) {
  if (o.since) {
    std::cerr << "sgeventd: --since is not available for the failures stream of broker mode\n";
    return 1;
  }
  auto connection = brokerConnection(c);
  if (!connection) {
    return 1;
  }
  auto records = broker::readFailures(**connection, c.broker.stream, o.plugin, o.limit);
  if (!records) {
    std::cerr << "sgeventd: " << records.error().message << "\n";
    return 1;
  }
  if (records->empty()) {
    std::cout << "no failure records in " << broker::failureStreamName(c.broker.stream) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:>6}  {:<20}  {:<24}  {:>10}  {:>3}  {}\n", "ID", "AT", "PLUGIN.CALLBACK",
                           "EVENT", "TRY", "ERROR");
  for (const auto& f : *records) {
    std::cout << fmt::format("{:>6}  {:<20}  {:<24}  {:>10}  {:>3}  {}\n", intOf(f, "id"), textOf(f, "at"),
                             textOf(f, "plugin") + "." + textOf(f, "callback"), intOf(f, "event_id"),
                             intOf(f, "attempts"), firstLine(textOf(f, "error")));
  }
  return 0;
}

int runBrokerFailuresShow(const config::DaemonConfig& c, const FailureOptions& o) {
  if (o.id.empty() || o.id.find_first_not_of("0123456789") != std::string::npos) {
    std::cerr << "sgeventd: \"" << o.id << "\" is not a failure id (a whole number)\n";
    return 1;
  }
  auto connection = brokerConnection(c);
  if (!connection) {
    return 1;
  }
  auto record = broker::readFailure(**connection, c.broker.stream, std::stoull(o.id));
  if (!record) {
    std::cerr << "sgeventd: " << record.error().message << "\n";
    return 1;
  }
  if (!*record) {
    std::cerr << "sgeventd: no failure record " << o.id << " in "
              << broker::failureStreamName(c.broker.stream) << "\n";
    return 1;
  }
  const auto& f = **record;
  std::cout << fmt::format("failure {}: plugin {}, callback {}, event {}, {} attempt(s), at {} (given up)\n",
                           intOf(f, "id"), textOf(f, "plugin"), textOf(f, "callback"), intOf(f, "event_id"),
                           intOf(f, "attempts"), textOf(f, "at"));
  std::cout << textOf(f, "error") << "\n";
  if (f.contains("event") && !f["event"].is_null()) {
    std::cout << "event: " << f["event"].dump(2) << "\n";
  }
  return 0;
}

int runFailuresList(const CommandLine& cl, const FailureOptions& o) {
  auto c = loadConfigForCommand(cl);
  if (!c) {
    return 1;
  }
  if (c->broker.enabled()) {
    return runBrokerFailuresList(*c, o);
  }
  if (auto client = daemonRuns(*c) ? AdminClient::forConfig(*c) : std::nullopt) {
    std::string query = "?limit=" + std::to_string(o.limit);
    if (o.plugin) {
      query += "&plugin=" + AdminClient::escape(*o.plugin);
    }
    if (o.since) {
      query += "&since=" + AdminClient::escape(*o.since);
    }
    auto reply = client->get("/api/v1/failures" + query);
    if (reply) {
      auto body = expectOk(reply, "list the failures");
      return body ? printFailureList(*body) : 1;
    }
  }
  if (o.since) {
    std::cerr << "sgeventd: no daemon answers; --since needs the running daemon\n";
    return 1;
  }
  // No daemon answers: the state database has the same records.
  auto opened = store::StateStore::open(c->stateDatabase, store::OpenMode::ReadOnly);
  if (!opened) {
    std::cerr << "sgeventd: " << opened.error().message << "\n";
    return 1;
  }
  auto text = store::renderFailures(**opened, o.plugin, o.limit);
  if (!text) {
    std::cerr << "sgeventd: " << text.error().message << "\n";
    return 1;
  }
  std::cout << *text;
  return 0;
}

int runFailuresShow(const CommandLine& cl, const FailureOptions& o) {
  auto c = loadConfigForCommand(cl);
  if (!c) {
    return 1;
  }
  if (c->broker.enabled()) {
    return runBrokerFailuresShow(*c, o);
  }
  if (auto client = daemonRuns(*c) ? AdminClient::forConfig(*c) : std::nullopt) {
    auto reply = client->get("/api/v1/failures/" + AdminClient::escape(o.id));
    if (reply) {
      auto body = expectOk(reply, "show failure " + o.id);
      if (!body) {
        return 1;
      }
      printFailure(*body);
      return 0;
    }
  }
  if (o.id.empty() || o.id.find_first_not_of("0123456789") != std::string::npos) {
    std::cerr << "sgeventd: \"" << o.id << "\" is not a failure id (a whole number)\n";
    return 1;
  }
  auto opened = store::StateStore::open(c->stateDatabase, store::OpenMode::ReadOnly);
  if (!opened) {
    std::cerr << "sgeventd: " << opened.error().message << "\n";
    return 1;
  }
  auto record = (*opened)->failure(std::stoll(o.id));
  if (!record || !*record) {
    std::cerr << "sgeventd: no failure record " << o.id << "\n";
    return 1;
  }
  const auto& r = **record;
  printFailure(json{{"id", r.id},
                    {"plugin", r.plugin},
                    {"collection", r.collection},
                    {"callback", r.callback},
                    {"event_id", r.eventId},
                    {"attempts", r.attempts},
                    {"error", r.error},
                    {"at", shotgrid::formatDateTime(r.at)},
                    {"final", r.final},
                    {"event", json::parse(r.eventJson, nullptr, false).is_discarded()
                                  ? json(nullptr)
                                  : json::parse(r.eventJson, nullptr, false)}});
  return 0;
}

int runFailuresReplay(const CommandLine& cl, const FailureOptions& o) {
  auto c = loadConfigForCommand(cl);
  if (!c) {
    return 1;
  }
  if (c->broker.enabled()) {
    // The event is in the stream; the consumer has moved past it, and running it again would need a
    // worker of that plugin here. Said plainly rather than sent to a daemon that runs no plugins.
    std::cerr << "sgeventd: replay is not available in broker mode: the plugins run in the workers "
                 "(`sgeventd failures show "
              << o.id << "` has the event)\n";
    return 1;
  }
  if (!daemonRuns(*c)) {
    std::cerr << "sgeventd is not running on this configuration: a replay needs the running daemon\n";
    return 1;
  }
  auto client = AdminClient::forConfig(*c);
  if (!client) {
    std::cerr << "sgeventd: [admin] listen is empty: a replay needs the daemon's admin API\n";
    return 1;
  }
  auto reply = expectOk(client->post("/api/v1/failures/" + AdminClient::escape(o.id) + "/replay"),
                        "replay failure " + o.id);
  if (!reply) {
    return 1;
  }
  std::cout << fmt::format("failure {}: replay accepted for plugin {}\n", o.id,
                           (*reply)["plugin"].get<std::string>());
  return 0;
}

}  // namespace

void registerAdminCommands(CLI::App& root, CommandLine& cl) {
  const auto named = root.get_subcommands([](CLI::App* app) { return app->get_name() == "plugins"; });
  if (!named.empty()) {
    CLI::App* plugins = named.front();
    for (const std::string action : {"enable", "disable", "reload"}) {
      auto name = std::make_shared<std::string>();
      auto* sub = plugins->add_subcommand(action, fmt::format("{} a plugin of the running daemon", action));
      sub->add_option("name", *name, "Plugin name, or its key collection::name")->required();
      sub->callback([&cl, action, name] {
        cl.action = [&cl, action, name] { return runPluginAction(cl, action, *name); };
      });
    }
  }

  auto o = std::make_shared<FailureOptions>();
  auto* failures = root.add_subcommand("failures", "Callback failure records: list, show one, replay one");
  failures->require_subcommand(1);
  auto* list =
      failures->add_subcommand("list", "The newest failures (from the daemon, else the state database)");
  list->add_option("--plugin", o->plugin, "Only this plugin's failures");
  list->add_option("--since", o->since, "Only failures at or after this UTC time (2026-12-01T10:00:00Z)");
  list->add_option("--limit", o->limit, "How many")->check(CLI::Range(1, 10000));
  list->callback([&cl, o] { cl.action = [&cl, o] { return runFailuresList(cl, *o); }; });
  auto* show = failures->add_subcommand("show", "One failure record: its error and its event");
  show->add_option("id", o->id, "Failure id (the first column of list)")->required();
  show->callback([&cl, o] { cl.action = [&cl, o] { return runFailuresShow(cl, *o); }; });
  auto* replay = failures->add_subcommand("replay", "Run a failed event through its callback again, once");
  replay->add_option("id", o->id, "Failure id")->required();
  replay->callback([&cl, o] { cl.action = [&cl, o] { return runFailuresReplay(cl, *o); }; });
}

std::optional<std::string> onlineStatus(const config::DaemonConfig& c) {
  auto client = AdminClient::forConfig(c);
  if (!client) {
    return std::nullopt;
  }
  auto reply = client->get("/api/v1/status");
  if (!reply || reply->status != 200) {
    return std::nullopt;
  }
  const auto s = json::parse(reply->body, nullptr, false);
  if (!s.is_object() || !s["plugins"].is_array()) {
    return std::nullopt;
  }
  const auto uptime = s["uptime_seconds"].get<std::int64_t>();
  std::string out = fmt::format(
      "site {}, head {}, up {}h {:02}m, {}\n", s["site"].get<std::string>(),
      s["head"]["id"].is_null() ? std::string("unknown")
                                : std::to_string(s["head"]["id"].get<std::int64_t>()),
      uptime / 3600, uptime / 60 % 60,
      s["ready"].get<bool>() ? std::string("ready") : "not ready: " + s["ready_reason"].get<std::string>());
  out += fmt::format("status page {}/\n", client->baseUrl());
  out += fmt::format("{:<28} {:<12} {:>10} {:>9} {:>9} {:>10} {:>8}  {}\n", "PLUGIN", "STATE", "CURSOR",
                     "LAG", "LAG(s)", "PROCESSED", "FAILED", "LAST ERROR / REASON");
  for (const auto& p : s["plugins"]) {
    std::string note = p["last_error"].get<std::string>();
    std::string state = p["state"].get<std::string>();
    if (p.value("stuck", false) && p["in_callback"].is_object()) {
      // Past its callback_timeout in the daemon's own thread: that says more than its last error.
      state = "stuck";
      note = fmt::format("in callback {} on event {} since {}, past callback_timeout {} s",
                         p["in_callback"]["callback"].get<std::string>(),
                         p["in_callback"]["event_id"].get<std::int64_t>(),
                         p["in_callback_since"].get<std::string>(),
                         p["stuck_after"].is_number() ? p["stuck_after"].get<double>() : 0.0);
    } else if (note.empty()) {
      note = p["reason"].get<std::string>();
    } else {
      // A traceback's last line says what happened.
      while (!note.empty() && note.back() == '\n') {
        note.pop_back();
      }
      note = note.substr(note.find_last_of('\n') == std::string::npos ? 0 : note.find_last_of('\n') + 1);
    }
    out += fmt::format(
        "{:<28} {:<12} {:>10} {:>9} {:>9} {:>10} {:>8}  {}\n", p["name"].get<std::string>(), state,
        p["cursor"].get<std::int64_t>(), p["lag_events"].get<std::int64_t>(),
        p["lag_seconds"].is_null() ? std::string("-") : fmt::format("{:.0f}", p["lag_seconds"].get<double>()),
        p["processed"].get<std::uint64_t>(), p["failures"].get<std::uint64_t>(), note);
  }
  return out;
}

std::optional<Expected<std::string>> setCursorOnline(const config::DaemonConfig& c, const std::string& plugin,
                                                     const std::optional<std::string>& collection,
                                                     std::int64_t cursor) {
  auto client = AdminClient::forConfig(c);
  if (!client) {
    return std::nullopt;
  }
  const std::string name = collection ? *collection + "::" + plugin : plugin;
  auto reply = client->post("/api/v1/plugins/" + AdminClient::escape(name) + "/checkpoint",
                            json{{"id", cursor}}.dump());
  if (!reply) {
    return std::nullopt;
  }
  if (reply->status / 100 != 2) {
    return Expected<std::string>(fail(replyError(*reply)));
  }
  return Expected<std::string>(
      fmt::format("plugin {}: the running daemon set its cursor to {}; its next event is {}\n", name, cursor,
                  cursor + 1));
}

}  // namespace sgeventd::app
