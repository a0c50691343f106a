#include "admin/admin_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <regex>
#include <string_view>

#include "admin/process_metrics.h"
#include "admin/prometheus_text.h"
#include "admin/readiness.h"
#include "admin/status_page.h"
#include "shotgrid/datetime.h"

namespace sgeventd::admin {

namespace {

using nlohmann::json;
using Action = engine::ControlRequest::Action;

constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};

http::Response jsonReply(int status, const json& body) {
  http::Response r;
  r.status = status;
  r.body = dumpJson(body);
  r.contentType = http::kJsonContentType;
  return r;
}

http::Response errorReply(int status, const std::string& message) {
  return jsonReply(status, json{{"error", message}});
}

// The HTTP status a refused control request answers with (its Error::code is a ControlError).
int statusOf(const Error& error) {
  return (error.code == 400 || error.code == 404 || error.code == 409) ? error.code : 500;
}

// Digits only: "12" is an id; "1e3", "-1", "0x10" and overflows are not.
std::optional<std::int64_t> parseId(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// The request line as the log shows it: control characters as \xNN. The path is percent-decoded, so
// without this a %0A in it would start a forged record in the daemon's log, from any client.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

core::MetricFamily gaugeFamily(std::string name, std::string help) {
  core::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = core::MetricType::Gauge;
  return f;
}

void addSample(core::MetricFamily& family, core::MetricLabels labels, double value) {
  core::MetricSample s;
  s.labels = std::move(labels);
  s.value = value;
  family.samples.push_back(std::move(s));
}

}  // namespace

struct AdminServer::Route {
  std::string pattern;
  std::regex regex;  // the pattern, matched against the whole (decoded) path as cpp-httplib would
  // By method; empty: that method is not allowed here (405). The string is the pattern's capture group.
  std::map<std::string, std::function<http::Response(const http::Request&, const std::string&)>> handlers;
};

AdminServer::AdminServer(AdminOptions options, AdminDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      rule_{options_.token, options_.loopback},
      http_(http::ServerOptions{.host = options_.host,
                                .port = options_.port,
                                .workerThreads = options_.threads,
                                .keepAliveMaxCount = 1000,
                                .keepAliveTimeout = std::chrono::seconds(5),
                                .readTimeout = std::chrono::seconds(10),
                                .writeTimeout = std::chrono::seconds(10),
                                .payloadMaxBytes = 64 * 1024}) {
  addRoutes();
}

AdminServer::~AdminServer() { stop(); }

std::string AdminServer::url() const {
  const std::string& host = http_.host();
  return host.find(':') != std::string::npos ? fmt::format("http://[{}]:{}", host, port())
                                             : fmt::format("http://{}:{}", host, port());
}

void AdminServer::sampleRates() { recordRates(deps_.status()); }

void AdminServer::recordRates(const engine::EngineStatus& status) {
  const auto now = deps_.clock->now();
  std::vector<std::string> keys;
  for (const auto& m : status.plugins) {
    rate_.record(now, m.id.key(), m.processed);
    keys.push_back(m.id.key());
  }
  rate_.retain(keys);
}

Expected<void> AdminServer::start() {
  // Every path goes to dispatch(), which routes it ([\s\S]: a decoded path may hold a line break, which
  // "." does not match).
  for (const char* method : kMethods) {
    http_.route(method, "[\\s\\S]*", [this](const http::Request& request) { return dispatch(request); });
  }
  if (auto started = http_.start(); !started) {
    return started;
  }
  sampleRates();
  sampler_ = std::thread([this] {
    std::unique_lock lock(sampleMutex_);
    while (!sampleWake_.wait_for(lock, options_.sampleEvery, [this] { return stopSampling_; })) {
      lock.unlock();
      sampleRates();
      lock.lock();
    }
  });
  return {};
}

void AdminServer::stop() {
  {
    std::lock_guard lock(sampleMutex_);
    stopSampling_ = true;
  }
  sampleWake_.notify_all();
  if (sampler_.joinable()) {
    sampler_.join();
  }
  http_.stop();
}

http::Response AdminServer::dispatch(const http::Request& request) {
  std::smatch match;
  for (const auto& route : routes_) {
    if (std::regex_match(request.path(), match, route->regex)) {
      return handle(*route, request, match.size() > 1 ? match[1].str() : std::string());
    }
  }
  // Anything else: a JSON 404 rather than cpp-httplib's empty one.
  return errorReply(404, "no such endpoint: " + request.method() + " " + request.path());
}

http::Response AdminServer::handle(const Route& route, const http::Request& request,
                                   const std::string& group) {
  const auto started = std::chrono::steady_clock::now();
  const std::string& method = request.method();
  const bool mutating = method != "GET" && method != "HEAD";
  http::Response response;
  const auto found = route.handlers.find(method == "HEAD" ? "GET" : method);
  if (found == route.handlers.end()) {
    std::string allow;
    for (const auto& [name, handler] : route.handlers) {
      allow += (allow.empty() ? "" : ", ") + name;
    }
    response = errorReply(405, fmt::format("{} is not allowed on {}; use {}", method, request.path(), allow));
    response.headers.emplace_back("Allow", allow);
  } else if (auto denied = route.pattern == "/" && !mutating
                               ? std::nullopt  // the page holds no data; it asks for the token on a 401
                               : checkAuthorization(rule_, mutating, request.header("Authorization"));
             denied) {
    response = errorReply(401, *denied);
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sgeventd\"");
  } else {
    try {
      response = found->second(request, group);
    } catch (const std::exception& e) {
      response = errorReply(500, std::string("internal error: ") + e.what());
    }
  }
  deps_.metrics
      ->counter("sgeventd_admin_requests_total", "Admin API requests answered, by HTTP status code.",
                {{"code", std::to_string(response.status)}})
      ->inc();
  // Headers are never logged: the Authorization header holds the token.
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  const std::string line =
      fmt::format("Admin API: {} {} {} from {} ({:.1f} ms)", printable(method), printable(request.path()),
                  response.status, request.remoteAddress(), ms);
  if (mutating && response.status < 400) {
    deps_.log->info(line);
  } else if (response.status == 401 || response.status >= 500) {
    deps_.log->warning(line);
  } else {
    deps_.log->debug(line);
  }
  return response;
}

void AdminServer::addRoutes() {
  routes_.clear();
  auto add = [this](std::string pattern, std::string method,
                    std::function<http::Response(const http::Request&, const std::string&)> handler) {
    for (auto& route : routes_) {
      if (route->pattern == pattern) {
        route->handlers[method] = std::move(handler);
        return;
      }
    }
    auto route = std::make_shared<Route>();
    route->regex = std::regex(pattern);
    route->pattern = std::move(pattern);
    route->handlers[method] = std::move(handler);
    routes_.push_back(std::move(route));
  };

  auto readiness = [this](const engine::EngineStatus& status) {
    return evaluateReadiness(status, deps_.clock->now(), {options_.fetchInterval, options_.stuckAfter},
                             deps_.stopping && deps_.stopping());
  };
  auto stopping = [this] { return deps_.stopping && deps_.stopping(); };

  // The plugin a path names, by key or by a name no other collection uses.
  auto findPlugin = [](const engine::EngineStatus& status,
                       const std::string& name) -> Expected<const engine::MemberStatus*> {
    const engine::MemberStatus* byName = nullptr;
    int named = 0;
    for (const auto& m : status.plugins) {
      if (m.id.key() == name) {
        return &m;
      }
      if (m.id.name == name) {
        byName = &m;
        ++named;
      }
    }
    if (named > 1) {
      return fail(fmt::format("plugin name {} is used in several plugin folders; name it by its key "
                              "(collection::name)",
                              name),
                  409);
    }
    if (byName == nullptr) {
      return fail("no plugin named " + name, 404);
    }
    return byName;
  };

  auto control = [this](engine::ControlRequest request) {
    const std::string action(engine::controlActionName(request.action));
    auto done = deps_.control(request);
    if (!done) {
      return errorReply(statusOf(done.error()), done.error().message);
    }
    // Applied by the plugin's lane between two events: accepted now, visible in the status shortly.
    return jsonReply(202, json{{"accepted", true}, {"action", action}, {"plugin", request.plugin}});
  };

  add("/", "GET", [](const http::Request&, const std::string&) {
    http::Response r;
    r.body = std::string(statusPageHtml());
    r.contentType = "text/html; charset=utf-8";
    return r;
  });
  add("/healthz", "GET", [](const http::Request&, const std::string&) {
    return jsonReply(200, json{{"status", "ok"}});
  });
  add("/readyz", "GET", [this, readiness](const http::Request&, const std::string&) {
    const Readiness r = readiness(deps_.status());
    return jsonReply(r.ready ? 200 : 503, json{{"ready", r.ready}, {"reason", r.reason}});
  });
  add("/metrics", "GET", [this, readiness](const http::Request&, const std::string&) {
    const auto status = deps_.status();
    const auto now = deps_.clock->now();
    auto families = deps_.metrics->snapshot();
    auto ready = gaugeFamily("sgeventd_ready", "1 when /readyz answers 200, else 0.");
    addSample(ready, {}, readiness(status).ready ? 1 : 0);
    auto info = gaugeFamily("sgeventd_build_info", "Always 1; the version is in the label.");
    addSample(info, {{"version", deps_.facts.version}}, 1);
    auto contact = gaugeFamily("sgeventd_site_last_contact_timestamp_seconds",
                               "When the site last answered the fetcher, in seconds since the Unix epoch.");
    if (status.fetcher.lastContact) {
      addSample(contact, {},
                std::chrono::duration<double>(status.fetcher.lastContact->time_since_epoch()).count());
    }
    auto active = gaugeFamily("sgeventd_plugin_active",
                              "1 while a plugin receives events (active or retrying), else 0.");
    auto inCallback = gaugeFamily("sgeventd_plugin_in_callback_seconds",
                                  "How long the callback running now has been running; 0 when none is.");
    auto state = gaugeFamily("sgeventd_plugin_state", "1 for the state the plugin is in, by state.");
    for (const auto& m : status.plugins) {
      const core::MetricLabels labels{{"plugin", m.id.name}};
      addSample(active, labels, m.active ? 1 : 0);
      addSample(inCallback, labels,
                m.inCallbackSince
                    ? std::max(0.0, std::chrono::duration<double>(now - *m.inCallbackSince).count())
                    : 0.0);
      addSample(state, {{"plugin", m.id.name}, {"state", std::string(pluginStateText(m.state))}}, 1);
    }
    for (auto* f : {&ready, &info, &contact, &active, &inCallback, &state}) {
      families.push_back(std::move(*f));
    }
    std::sort(families.begin(), families.end(),
              [](const core::MetricFamily& a, const core::MetricFamily& b) { return a.name < b.name; });
    auto process = processMetricFamilies();
    families.insert(families.end(), std::make_move_iterator(process.begin()),
                    std::make_move_iterator(process.end()));
    http::Response r;
    r.body = encodePrometheus(families);
    r.contentType = kPrometheusContentType;
    return r;
  });
  add("/api/v1/status", "GET", [this, readiness, stopping](const http::Request&, const std::string&) {
    const auto status = deps_.status();
    recordRates(status);  // the current minute is current when asked for, not up to 5 s late
    auto body = statusJson(deps_.facts, status, readiness(status), stopping(), rate_, deps_.clock->now());
    if (deps_.broker.status) {
      body["broker"] = deps_.broker.status();
    }
    return jsonReply(200, std::move(body));
  });
  add("/api/v1/plugins", "GET", [this](const http::Request&, const std::string&) {
    const auto status = deps_.status();
    recordRates(status);
    json plugins = json::array();
    for (const auto& m : status.plugins) {
      plugins.push_back(pluginJson(m, status, rate_, deps_.clock->now()));
    }
    return jsonReply(200, json{{"plugins", std::move(plugins)}});
  });
  add("/api/v1/poll", "POST", [this](const http::Request&, const std::string&) {
    deps_.pollNow();
    return jsonReply(202, json{{"accepted", true}, {"action", "poll"}});
  });
  // Action routes come before the plugin route, whose (.+) would take "x/enable" as a name.
  for (const auto& [name, action] :
       {std::pair{"enable", Action::Enable}, std::pair{"disable", Action::Disable},
        std::pair{"reload", Action::Reload}}) {
    add(fmt::format("/api/v1/plugins/(.+)/{}", name), "POST",
        [control, action = action](const http::Request&, const std::string& plugin) {
          return control(engine::ControlRequest{.action = action, .plugin = plugin});
        });
  }
  add("/api/v1/plugins/(.+)/checkpoint", "POST",
      [control](const http::Request& request, const std::string& plugin) {
        const auto body = json::parse(request.body(), nullptr, false);
        if (body.is_discarded()) {
          return errorReply(400, "the body is not JSON; send {\"id\": N}");
        }
        if (!body.is_object() || !body.contains("id")) {
          return errorReply(400, "the body needs \"id\": the last event id to treat as processed");
        }
        const auto& id = body["id"];
        if (!id.is_number_integer()) {
          return errorReply(
              400,
              "\"id\" must be a whole number (the last event id to treat as processed), not " + dumpJson(id));
        }
        if (id.is_number_unsigned() && id.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
          return errorReply(400, "\"id\" is beyond any event id (at most 9223372036854775807)");
        }
        if (!id.is_number_unsigned() && id.get<std::int64_t>() < 0) {
          return errorReply(400, "\"id\" must be 0 or more (0 means before the first event)");
        }
        return control(engine::ControlRequest{
            .action = Action::SetCursor, .plugin = plugin, .eventId = id.get<std::int64_t>()});
      });
  add("/api/v1/plugins/(.+)", "GET", [this, findPlugin](const http::Request&, const std::string& name) {
    const auto status = deps_.status();
    recordRates(status);
    auto plugin = findPlugin(status, name);
    if (!plugin) {
      return errorReply(plugin.error().code, plugin.error().message);
    }
    return jsonReply(200, pluginJson(**plugin, status, rate_, deps_.clock->now()));
  });
  add("/api/v1/broker/failures", "GET", [this](const http::Request& request, const std::string&) {
    if (!deps_.broker.failures) {
      return errorReply(404, "not in broker mode: failures are at /api/v1/failures");
    }
    int limit = 100;
    if (auto text = request.query("limit"); text) {
      const auto value = parseId(*text);
      if (!value || *value < 1 || *value > 10000) {
        return errorReply(400, "limit=" + *text + " is not a whole number 1 to 10000");
      }
      limit = static_cast<int>(*value);
    }
    auto plugin = request.query("plugin");
    if (plugin && plugin->empty()) {
      plugin.reset();
    }
    auto records = deps_.broker.failures(plugin, limit);
    if (!records) {
      return errorReply(503, "cannot read the failures stream: " + records.error().message);
    }
    return jsonReply(200, json{{"failures", std::move(*records)}});
  });
  add("/api/v1/failures", "GET", [this](const http::Request& request, const std::string&) {
    const auto plugin = request.query("plugin");
    std::optional<core::TimePoint> since;
    if (auto text = request.query("since"); text && !text->empty()) {
      since = shotgrid::parseDateTime(*text);
      if (!since) {
        return errorReply(400, "since=" + *text + " is not a date-time (write 2026-12-01T10:00:00Z)");
      }
    }
    int limit = 100;
    if (auto text = request.query("limit"); text) {
      const auto value = parseId(*text);
      if (!value || *value < 1 || *value > 10000) {
        return errorReply(400, "limit=" + *text + " is not a whole number 1 to 10000");
      }
      limit = static_cast<int>(*value);
    }
    const std::optional<std::string> byName =
        plugin && !plugin->empty() ? plugin : std::optional<std::string>();
    auto records = deps_.store.failures(byName, limit);
    if (!records) {
      return errorReply(500, "cannot read the failure records: " + records.error().message);
    }
    if (byName && records->empty()) {
      const auto status = deps_.status();
      const bool known = std::any_of(status.plugins.begin(), status.plugins.end(),
                                     [&](const engine::MemberStatus& m) { return m.id.name == *byName; });
      if (!known) {
        return errorReply(404, "no plugin named " + *byName);
      }
    }
    json out = json::array();
    for (const auto& r : *records) {
      if (!since || r.at >= *since) {
        out.push_back(failureJson(r, false));
      }
    }
    return jsonReply(200, json{{"failures", std::move(out)}});
  });
  auto record = [this](const std::string& text) -> Expected<store::FailureRecord> {
    const auto id = parseId(text);
    if (!id) {
      return fail("\"" + text + "\" is not a failure id (a whole number)", 400);
    }
    auto found = deps_.store.failure(*id);
    if (!found) {
      return fail("cannot read the failure records: " + found.error().message, 500);
    }
    if (!*found) {
      return fail(fmt::format("no failure record {}", *id), 404);
    }
    return **found;
  };
  add("/api/v1/failures/([^/]+)/replay", "POST",
      [record, control](const http::Request&, const std::string& id) {
        auto r = record(id);
        if (!r) {
          return errorReply(r.error().code, r.error().message);
        }
        return control(engine::ControlRequest{
            .action = Action::Replay, .plugin = r->collection + "::" + r->plugin, .failureId = r->id});
      });
  add("/api/v1/failures/([^/]+)", "GET", [record](const http::Request&, const std::string& id) {
    auto r = record(id);
    if (!r) {
      return errorReply(r.error().code, r.error().message);
    }
    return jsonReply(200, failureJson(*r, true));
  });
}

}  // namespace sgeventd::admin
