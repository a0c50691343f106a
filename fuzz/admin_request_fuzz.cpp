// One admin API request as cpp-httplib hands it over (method, decoded path, query parameters, headers,
// body) through AdminServer::dispatch, over a stand-in engine and a real SQLite state store, with a fixed
// clock. Besides never crashing, the answer must keep the API's promises: a 4xx changed nothing (no
// control request accepted, no poll), nor did any answer but a 2xx; a GET or HEAD changes nothing; with
// a token configured a change needs it, and beyond loopback every call but the page does; a JSON answer
// is JSON; the request's log line is one line and never holds the token.
//
// Input: the first byte picks the setup. Bit 0: a token is configured; bit 1: beyond loopback (with a
// token); bit 2: the site is silent and a callback is stuck, so /readyz fails; bit 3: the engine refuses
// every control request as a failing state store would; bit 6: a stop was requested. The seeds write it
// as a digit ('0' to '9'). The rest is the request as on the wire:
//   METHOD TARGET [HTTP/1.1]\n  then  Name: value\n  lines, an empty line, and the body.
#include <httplib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "admin/admin_server.h"
#include "core/metrics_registry.h"
#include "store/state_store.h"

namespace {

using namespace sgeventd;
using namespace std::chrono_literals;
using Action = engine::ControlRequest::Action;

constexpr std::string_view kToken = "fuzz-token";
// cpp-httplib answers 414 to a longer request target, so no longer path reaches the server.
constexpr std::size_t kMaxTarget = 8192;

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "admin_request_fuzz: %s\n", what.c_str());
  std::abort();
}

class FixedClock final : public core::Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return kNow; }
  std::chrono::steady_clock::time_point steadyNow() const override { return {}; }
  static constexpr std::chrono::system_clock::time_point kNow{std::chrono::seconds(1'796'119'200)};
};

// The admin server logs one line per request: it must be one line, and never hold the token.
class CheckingLogger final : public core::Logger {
 public:
  const std::string& name() const override { return name_; }
  bool enabled(core::LogLevel) const override { return true; }
  void log(core::LogLevel, std::string_view message) override {
    if (message.find_first_of("\r\n") != std::string_view::npos) {
      broken("a log record spans several lines: " + std::string(message));
    }
    if (!tokenAllowed && message.find(kToken) != std::string_view::npos) {
      broken("the token was logged: " + std::string(message));
    }
  }
  bool tokenAllowed = false;  // the request carried it in its path itself

 private:
  std::string name_ = "engine";
};

engine::MemberStatus member(const std::string& collection, const std::string& name, std::int64_t cursor,
                            engine::MemberState state) {
  engine::MemberStatus m;
  m.id = plugins::PluginId{collection, name, collection + "/" + name + ".py"};
  m.cursor = cursor;
  m.lastEventId = cursor;
  m.loaded = state != engine::MemberState::LoadFailed;
  m.state = state;
  m.active = state == engine::MemberState::Active || state == engine::MemberState::Retrying;
  m.processed = static_cast<std::uint64_t>(cursor);
  return m;
}

// What the stand-in engine shows: a plugin per state, a name two folders use, gaps and tracebacks.
engine::EngineStatus makeStatus(bool unhealthy) {
  const auto now = FixedClock::kNow;
  engine::EngineStatus s;
  s.fetcher.head = 1000;
  s.fetcher.openGapIds = 2;
  s.headCreatedAt = now - 5s;
  s.fetcher.lastContact = unhealthy ? now - 10min : now - 1s;
  if (unhealthy) {
    s.fetcher.lastError = "couldn't connect to the site";
    s.fetcher.consecutiveFailures = 7;
  }
  s.plugins.push_back(member("/plugins", "alpha", 1000, engine::MemberState::Active));
  s.plugins.push_back(member("/plugins", "beta", 900, engine::MemberState::Disabled));
  s.plugins.back().reason = "disabled by an operator";
  s.plugins.back().lastEventCreatedAt = now - 42s;
  s.plugins.push_back(member("/plugins", "gamma", 950, engine::MemberState::Retrying));
  s.plugins.back().lastError = "Traceback (most recent call last):\n  File \"gamma.py\"\nValueError: \xff";
  s.plugins.back().backlog.push_back({951, 953, now + 1h});
  s.plugins.back().inCallbackSince = unhealthy ? now - 20min : now - 1s;
  s.plugins.push_back(member("/plugins", "broken", 0, engine::MemberState::LoadFailed));
  s.plugins.back().reason = "SyntaxError: invalid syntax";
  s.plugins.push_back(member("/a", "twin", 10, engine::MemberState::Deactivated));
  s.plugins.push_back(member("/b", "twin", 20, engine::MemberState::Active));
  s.plugins.push_back(member("/plugins", "odd \"name\"\\ü", 5, engine::MemberState::Active));
  return s;
}

store::FailureRecord failureOf(const std::string& collection, const std::string& plugin, std::int64_t event,
                               bool withEvent) {
  store::FailureRecord f;
  f.collection = collection;
  f.plugin = plugin;
  f.callback = "onEvent";
  f.eventId = event;
  f.attempts = 3;
  f.error = "Traceback (most recent call last):\n  boom \xfe";
  f.at = FixedClock::kNow - std::chrono::minutes(event);
  f.final = true;
  if (withEvent) {
    f.eventJson = nlohmann::json{{"type", "EventLogEntry"}, {"id", event}}.dump();
  }
  return f;
}

// The stand-in engine's answer to a control request, with Engine::control's checks. It also checks
// what the admin server may send: a cursor of 0 or more, a replay of a record the store holds.
struct StandInEngine {
  engine::EngineStatus healthy = makeStatus(false);
  engine::EngineStatus unhealthy = makeStatus(true);
  const engine::EngineStatus* status = &healthy;
  store::StateStore* store = nullptr;
  bool refuseAll = false;
  int accepted = 0;  // control requests applied during this input
  int polls = 0;

  Expected<void> control(const engine::ControlRequest& r) {
    if (r.action == Action::SetCursor && r.eventId < 0) {
      broken("the admin server sent a negative cursor");
    }
    if (refuseAll) {
      return fail("cannot write the state database: disk I/O error");
    }
    const engine::MemberStatus* found = nullptr;
    int named = 0;
    for (const auto& m : status->plugins) {
      if (m.id.key() == r.plugin) {
        found = &m;
        named = 1;
        break;
      }
      if (m.id.name == r.plugin) {
        found = &m;
        ++named;
      }
    }
    if (named > 1) {
      return fail("plugin name " + r.plugin + " is used in several plugin folders", 409);
    }
    if (found == nullptr) {
      return fail("no plugin named " + r.plugin, 404);
    }
    if (r.action == Action::SetCursor && r.eventId > status->fetcher.head) {
      return fail("beyond the newest event", 400);
    }
    if (r.action == Action::Replay) {
      auto record = store->failure(r.failureId);
      if (!record || !*record) {
        broken("the admin server replayed a failure record the store does not hold");
      }
      if ((*record)->collection != found->id.collection || (*record)->plugin != found->id.name) {
        return fail("the plugin has no such failure record", 404);
      }
      if ((*record)->eventJson.empty()) {
        return fail("the record does not hold its event", 409);
      }
    }
    ++accepted;
    return {};
  }
};

struct Setup {
  std::filesystem::path dir;
  std::unique_ptr<store::StateStore> store;
  StandInEngine engine;
  std::shared_ptr<core::MetricsRegistry> metrics = std::make_shared<core::MetricsRegistry>();
  std::shared_ptr<CheckingLogger> log = std::make_shared<CheckingLogger>();
  bool stopping = false;
  // No token on loopback; a token on loopback; a token beyond loopback.
  std::unique_ptr<admin::AdminServer> servers[3];

  Setup() {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
          ("sgeventd-fuzz-admin-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto opened = store::StateStore::open((dir / "state.sqlite").string(), store::OpenMode::Daemon,
                                          store::SyncMode::Normal);
    if (!opened) {
      broken("cannot open the state store: " + opened.error().message);
    }
    store = std::move(*opened);
    for (const auto& f : {failureOf("/plugins", "alpha", 50, true), failureOf("/plugins", "beta", 60, true),
                          failureOf("/plugins", "alpha", 70, false), failureOf("/a", "twin", 80, true),
                          failureOf("/plugins", "gone", 90, true)}) {
      if (!store->recordFailure(f)) {
        broken("cannot record a failure");
      }
    }
    engine.store = store.get();
    metrics
        ->counter("sgeventd_plugin_events_processed_total", "Events a plugin finished.",
                  {{"plugin", "alpha"}})
        ->inc(1000);
    metrics
        ->histogram("sgeventd_plugin_callback_duration_seconds", "How long callbacks take.", {0.01, 0.1, 1},
                    {{"plugin", "gamma"}})
        ->observe(0.05);
    for (int i = 0; i < 3; ++i) {
      admin::AdminOptions options;
      options.token = i == 0 ? "" : std::string(kToken);
      options.loopback = i != 2;
      options.fetchInterval = 1s;
      options.stuckAfter = 60s;
      admin::AdminDeps deps{
          .status = [this] { return *engine.status; },
          .control = [this](const engine::ControlRequest& r) { return engine.control(r); },
          .pollNow = [this] { ++engine.polls; },
          .store = *store,
          .metrics = metrics,
          .clock = std::make_shared<FixedClock>(),
          .log = log,
          .facts = {"https://site.example", "0.1.0", 1234, FixedClock::kNow - 1h},
          .stopping = [this] { return stopping; },
      };
      servers[i] = std::make_unique<admin::AdminServer>(options, std::move(deps));
    }
  }
  // At exit (the static below): the servers and the database go before their folder.
  ~Setup() {
    for (auto& server : servers) {
      server.reset();
    }
    store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  static Setup& instance() {
    static Setup setup;
    return setup;
  }
};

// The next line of `text` from `at` (without its "\n" or "\r\n"); at moves past it.
std::string_view nextLine(std::string_view text, std::size_t& at) {
  const std::size_t end = text.find('\n', at);
  std::string_view line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
  at = end == std::string_view::npos ? text.size() : end + 1;
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The request as cpp-httplib parses it: the path percent-decoded, the query split into parameters.
bool parseRequest(std::string_view text, httplib::Request& req) {
  std::size_t at = 0;
  const std::string_view line = nextLine(text, at);
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0) {
    return false;
  }
  req.method = std::string(line.substr(0, space));
  std::string_view target = line.substr(space + 1);
  target = target.substr(0, target.find(' '));
  if (target.empty() || target.size() > kMaxTarget) {
    return false;
  }
  req.target = std::string(target);
  const std::size_t question = target.find('?');
  req.path = httplib::detail::decode_url(std::string(target.substr(0, question)), false);
  if (question != std::string_view::npos) {
    httplib::detail::parse_query_text(std::string(target.substr(question + 1)), req.params);
  }
  while (at < text.size()) {
    const std::string_view header = nextLine(text, at);
    if (header.empty()) {
      break;
    }
    const std::size_t colon = header.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return false;  // cpp-httplib answers 400
    }
    req.headers.emplace(std::string(header.substr(0, colon)), std::string(trim(header.substr(colon + 1))));
  }
  req.body = std::string(text.substr(at));
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  Setup& setup = Setup::instance();
  const unsigned bits = data[0];
  const bool token = (bits & 1) != 0;
  const bool remote = token && (bits & 2) != 0;  // the config refuses beyond loopback without a token
  const bool unhealthy = (bits & 4) != 0;

  httplib::Request req;
  if (!parseRequest(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), req)) {
    return 0;
  }
  req.remote_addr = remote ? "192.0.2.7" : "127.0.0.1";

  setup.engine.status = unhealthy ? &setup.engine.unhealthy : &setup.engine.healthy;
  setup.stopping = (bits & 64) != 0;
  setup.engine.refuseAll = (bits & 8) != 0;
  setup.engine.accepted = 0;
  setup.engine.polls = 0;
  // The log line names the method and the path: a token the client put there is not a leak.
  setup.log->tokenAllowed = (req.method + req.path).find(kToken) != std::string::npos;

  admin::AdminServer& server = *setup.servers[remote ? 2 : token ? 1 : 0];
  const http::Response response = server.dispatch(http::Request(req));

  const int status = response.status;
  if (std::getenv("SGEVENTD_FUZZ_PRINT") != nullptr) {  // to see what a reproducer does
    std::fprintf(stderr, "%s %s -> %d %.300s\n", req.method.c_str(), req.path.c_str(), status,
                 response.body.c_str());
  }
  const bool changed = setup.engine.accepted > 0 || setup.engine.polls > 0;
  const bool mutating = req.method != "GET" && req.method != "HEAD";
  const std::string authorization = req.get_header_value("Authorization");
  const bool bearer = req.has_header("Authorization") && authorization == "Bearer " + std::string(kToken);
  if (status < 100 || status > 599) {
    broken("status " + std::to_string(status));
  }
  if (status >= 400 && status < 500 && changed) {
    broken(req.method + " " + req.path + " answered " + std::to_string(status) + " but changed the daemon");
  }
  if (changed && status / 100 != 2) {
    broken(req.method + " " + req.path + " answered " + std::to_string(status) +
           " after a change was applied");
  }
  if (!mutating && changed) {
    broken(req.method + " " + req.path + " changed the daemon");
  }
  if (changed && setup.engine.accepted + setup.engine.polls != 1) {
    broken(req.method + " " + req.path + " applied several changes");
  }
  if (status < 400 && token && (mutating || remote) && req.path != "/" && !bearer) {
    broken(req.method + " " + req.path + " answered " + std::to_string(status) + " without the token");
  }
  if (response.contentType.starts_with("application/json") && !nlohmann::json::accept(response.body)) {
    broken(req.method + " " + req.path + " answered with a JSON type and a body that is not JSON");
  }
  return 0;
}
