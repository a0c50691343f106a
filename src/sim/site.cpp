// Site: opening, the api3 dispatcher (auth, faults, counters) and the direct C++ API.
#include "sim/site.h"

#include "shotgrid/datetime.h"
#include "sim/site_state.h"

namespace sgeventd::sim {
namespace {

Json exceptionBody(int code, const std::string& message) {
  return Json{{"exception", true}, {"error_code", code}, {"message", message}};
}

HttpReply jsonReply(const Json& body, int status = 200) {
  HttpReply reply;
  reply.status = status;
  reply.body = body.dump();
  return reply;
}

std::string defaultFaultMessage(int code, const std::string& method) {
  switch (code) {
    case 102:
      return "Can't authenticate script 'injected-fault'";
    case 104:
      return "API " + method + "() CRUD ERROR #0: injected fault";
    default:
      return "API " + method + "() injected fault";
  }
}

std::string statusText(int status) {
  switch (status) {
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 429:
      return "Too Many Requests";
    default:
      return "Error";
  }
}

}  // namespace

std::vector<std::int64_t> IdRange::ids() const {
  std::vector<std::int64_t> out;
  for (std::int64_t id = first; id <= last; ++id) {
    out.push_back(id);
  }
  return out;
}

std::int64_t Counters::callsOf(const std::string& method) const {
  const auto it = calls.find(method);
  return it == calls.end() ? 0 : it->second;
}

std::int64_t Counters::rowsOf(const std::string& method) const {
  const auto it = rows.find(method);
  return it == rows.end() ? 0 : it->second;
}

Json Counters::toJson() const { return Json{{"calls", calls}, {"rows", rows}}; }

Expected<Script> parseScript(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return fail("a script is NAME:KEY, got '" + std::string(text) + "'");
  }
  return Script{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

Site::Site(std::unique_ptr<State> state) : state_(std::move(state)) {}
Site::~Site() = default;

Expected<std::unique_ptr<Site>> Site::open(SiteOptions options) {
  auto state = std::make_unique<State>();
  state->clock = options.clock ? options.clock : core::systemClock();
  state->schema = builtinSchema();
  state->persistError = {};
  if (options.scripts.empty()) {
    options.scripts.push_back(Script{"sgeventd", "sim-key"});
  }
  state->faults.reseed(options.seed);
  if (options.dataFile) {
    auto persistence = Persistence::open(*options.dataFile);
    if (!persistence) {
      return tl::unexpected(persistence.error());
    }
    auto loaded = (*persistence)->load(state->events);
    if (!loaded) {
      return tl::unexpected(loaded.error());
    }
    for (auto& [type, rows] : loaded->entities) {
      state->tables[type].rows = std::move(rows);
    }
    for (const auto& [type, next] : loaded->nextIds) {
      if (type == "EventLogEntry") {
        state->nextEventId = next;
      } else {
        state->tables[type].nextId = next;
      }
    }
    for (const auto& [type, field] : loaded->addedFields) {
      state->schema[type].fields[field.first] = field.second;
    }
    if (!state->events.rows().empty()) {
      state->nextEventId = std::max(state->nextEventId, state->events.rows().back().id + 1);
    }
    state->persistedEvents = state->events.size();
    state->persistence = std::move(*persistence);
  }
  // Each script is an ApiUser row; created quietly (no events), as the site's admin did it long ago.
  for (const auto& script : options.scripts) {
    state->addScriptLocked(script);
  }
  state->options = std::move(options);
  state->persistLocked();
  if (!state->persistError) {
    return tl::unexpected(state->persistError.error());
  }
  return std::unique_ptr<Site>(new Site(std::move(state)));
}

const ScriptUser& Site::State::addScriptLocked(const Script& script) {
  EntityTable& users = tables["ApiUser"];
  std::int64_t id = 0;
  for (const auto& [rowId, row] : users.rows) {
    if (row.fields.value("firstname", "") == script.name) {
      id = rowId;
    }
  }
  if (id == 0) {
    const std::string now = shotgrid::formatDateTime(clock->now());
    id = users.nextId++;
    EntityRow row;
    row.id = id;
    row.fields =
        Json{{"firstname", script.name}, {"lastname", "1.0"}, {"created_at", now}, {"updated_at", now}};
    users.rows[id] = std::move(row);
    dirtyEntities.insert({"ApiUser", id});
  }
  scripts.push_back(ScriptUser{script, id});
  return scripts.back();
}

void Site::State::countCall(const std::string& method, std::int64_t rows) {
  std::lock_guard lock(countersMutex);
  if (rows < 0) {
    ++counters.calls[method];
  } else {
    counters.rows[method] += rows;
  }
}

HttpReply Site::handleApi3(std::string_view body) {
  State& st = *state_;
  const Json request = Json::parse(body, nullptr, false);
  const bool parsed = !request.is_discarded() && request.is_object();
  const std::string method = parsed && request.contains("method_name") && request["method_name"].is_string()
                                 ? request["method_name"].get<std::string>()
                                 : std::string();
  st.countCall(method, -1);

  const auto fault = st.faults.next(method);
  if (fault) {
    switch (fault->kind) {
      case FaultKind::HttpStatus:
      case FaultKind::TooManyRequests: {
        HttpReply reply;
        reply.status = fault->kind == FaultKind::TooManyRequests ? 429 : fault->httpStatus;
        reply.contentType = "text/html";
        reply.body = "<html><body><h1>" + std::to_string(reply.status) + " " + statusText(reply.status) +
                     "</h1></body></html>";
        if (reply.status == 429) {
          reply.headers.emplace_back("Retry-After", std::to_string(fault->retryAfterSeconds));
        }
        return reply;
      }
      case FaultKind::Api3Exception:
        return jsonReply(exceptionBody(fault->errorCode, fault->message.empty()
                                                             ? defaultFaultMessage(fault->errorCode, method)
                                                             : fault->message));
      default:
        break;  // the others alter the real reply below
    }
  }

  auto answer = [&]() -> HttpReply {
    if (!parsed) {
      return jsonReply(exceptionBody(103, "Could not parse the request body as a JSON object"));
    }
    if (method.empty()) {
      return jsonReply(exceptionBody(103, "The request has no method_name"));
    }
    const Json params = request.value("params", Json::array());
    if (method == "info") {
      return jsonReply(Json{{"results",
                             {{"version", {8, 50, 0}},
                              {"full_version", {8, 50, 0, 0}},
                              {"user_authentication_method", "default"},
                              {"api_max_entities_per_page", 500},
                              {"s3_uploads_enabled", false},
                              {"sgeventd_sim", true}}}});
    }
    // Authentication: params[0] is the auth hash.
    const Json auth = params.is_array() && !params.empty() ? params[0] : Json(nullptr);
    WriteContext ctx;
    {
      const ScriptUser* who = nullptr;
      if (auth.is_object() && auth.contains("script_name")) {
        const std::string name =
            auth["script_name"].is_string() ? auth["script_name"].get<std::string>() : "";
        const std::string key =
            auth.value("script_key", Json("")).is_string() ? auth.value("script_key", "") : "";
        {
          std::shared_lock lock(st.mutex);
          for (const auto& s : st.scripts) {
            if (s.script.name == name && (s.script.key == key || st.options.acceptAnyScript)) {
              who = &s;
            }
          }
        }
        if (!who && st.options.acceptAnyScript && !name.empty()) {
          std::unique_lock lock(st.mutex);
          who = &st.addScriptLocked(Script{name, key});
          st.persistLocked();
        }
        if (!who) {
          return jsonReply(exceptionBody(102, "Can't authenticate script '" + name + "'"));
        }
      } else if (auth.is_object() && auth.contains("session_token")) {
        const std::string token =
            auth["session_token"].is_string() ? auth["session_token"].get<std::string>() : "";
        std::shared_lock lock(st.mutex);
        for (const auto& s : st.scripts) {
          if ("sim-session-" + s.script.name == token) {
            who = &s;
          }
        }
        if (!who) {
          return jsonReply(exceptionBody(102, "Can't authenticate session token"));
        }
      } else if (auth.is_object() && auth.contains("user_login")) {
        return jsonReply(exceptionBody(
            102, "Can't authenticate user '" + auth.value("user_login", Json("")).dump() + "'."));
      } else {
        return jsonReply(exceptionBody(102, "Missing or invalid authentication parameters"));
      }
      ctx.user = Json{{"type", "ApiUser"}, {"id", who->apiUserId}};
      if (auth.contains("session_uuid") && auth["session_uuid"].is_string()) {
        ctx.sessionUuid = auth["session_uuid"].get<std::string>();
      }
      if (auth.contains("sudo_as_login") && auth["sudo_as_login"].is_string()) {
        const auto login = auth["sudo_as_login"].get<std::string>();
        std::shared_lock lock(st.mutex);
        bool found = false;
        if (auto users = st.tables.find("HumanUser"); users != st.tables.end()) {
          for (const auto& [id, row] : users->second.rows) {
            if (!row.retired && row.fields.value("login", "") == login) {
              ctx.user = Json{{"type", "HumanUser"}, {"id", id}};
              found = true;
            }
          }
        }
        if (!found) {
          return jsonReply(
              exceptionBody(102, "sudo_as_login: no active HumanUser with login '" + login + "'"));
        }
      }
      if (method == "get_session_token") {
        return jsonReply(Json{{"results", {{"session_id", "sim-session-" + who->script.name}}}});
      }
    }
    const Json p = params.is_array() && params.size() > 1 ? params[1] : Json(nullptr);
    std::int64_t rows = 0;
    ApiResult<Json> result = apiFail(103, "Unknown method '" + method + "'");
    if (method == "read") {
      std::shared_lock lock(st.mutex);
      if (p.is_object()) {
        if (auto fast = st.fastEventRead(p, &rows)) {
          st.countCall(method, rows);
          HttpReply reply;
          reply.body = std::move(*fast);
          return reply;
        }
      }
      result = st.readLocked(p, &rows);
    } else if (method == "summarize") {
      std::shared_lock lock(st.mutex);
      result = st.summarizeLocked(p);
    } else if (method == "schema_read" || method == "schema_entity_read" || method == "schema_field_read") {
      std::shared_lock lock(st.mutex);
      result = st.schemaReadLocked(p, method);
    } else if (method == "schema_field_create" || method == "schema_field_update") {
      std::unique_lock lock(st.mutex);
      result =
          method == "schema_field_create" ? st.schemaFieldCreateLocked(p) : st.schemaFieldUpdateLocked(p);
      st.persistLocked();
    } else if (method == "create" || method == "update" || method == "delete" || method == "revive" ||
               method == "batch") {
      std::unique_lock lock(st.mutex);
      const std::string type = p.is_object() ? p.value("type", "") : "";
      const std::int64_t id =
          p.is_object() && p.contains("id") && p["id"].is_number_integer() ? p["id"].get<std::int64_t>() : 0;
      if (method == "batch") {
        result = st.batchLocked(p, ctx);
        rows = result && result->is_array() ? static_cast<std::int64_t>(result->size()) : 0;
      } else if (!p.is_object()) {
        result = apiFail(103, "API " + method + "() expects a hash of parameters");
      } else if (method == "create" || method == "update") {
        Json fields, modes;
        auto parsedFields = parseFieldList(p.value("fields", Json(nullptr)), fields, modes, method);
        if (!parsedFields) {
          result = tl::unexpected(parsedFields.error());
        } else if (method == "create") {
          result = st.createLocked(type, fields, p.value("return_fields", Json(nullptr)), ctx);
        } else if (!p.contains("id") || !p["id"].is_number_integer()) {
          result = apiFail(103, "API update() requires an integer 'id'");
        } else {
          result = st.updateLocked(type, id, fields, modes, ctx);
        }
        rows = result ? 1 : 0;
      } else {
        auto done = method == "delete" ? st.retireLocked(type, id, ctx) : st.reviveLocked(type, id, ctx);
        result = done ? ApiResult<Json>(Json(*done)) : tl::unexpected(done.error());
      }
      st.persistLocked();
    }
    if (!result) {
      return jsonReply(exceptionBody(result.error().code, result.error().message));
    }
    st.countCall(method, rows);
    return jsonReply(Json{{"results", std::move(*result)}});
  };

  HttpReply reply = answer();
  if (fault) {
    switch (fault->kind) {
      case FaultKind::Slow:
        reply.delayMs = fault->delayMs;
        break;
      case FaultKind::ConnectionReset:
        reply.delivery = HttpReply::Delivery::ResetHalfway;
        break;
      case FaultKind::TruncatedJson:
        reply.status = 200;
        reply.contentType = HttpReply{}.contentType;
        reply.body = reply.body.substr(0, std::max<std::size_t>(1, reply.body.size() / 2));
        break;
      default:
        break;
    }
  }
  return reply;
}

Json Site::call(const std::string& method, const Json& params) {
  Json envelope{{"method_name", method}, {"params", Json::array()}};
  if (method != "info") {
    Script script;
    {
      std::shared_lock lock(state_->mutex);
      script = state_->scripts.front().script;
    }
    envelope["params"].push_back(Json{{"script_name", script.name}, {"script_key", script.key}});
    if (!params.is_null()) {
      envelope["params"].push_back(params);
    }
  }
  const HttpReply reply = handleApi3(envelope.dump());
  Json body = Json::parse(reply.body, nullptr, false);
  return body.is_discarded() ? Json{{"unparsed", reply.body}, {"status", reply.status}} : body;
}

Actor Site::scriptActor(std::size_t index) const {
  std::shared_lock lock(state_->mutex);
  const auto& s = state_->scripts.at(index);
  return Actor{Json{{"type", "ApiUser"}, {"id", s.apiUserId}}, std::nullopt};
}

ApiResult<Json> Site::create(const std::string& type, const Json& fields, const Actor& actor) {
  std::unique_lock lock(state_->mutex);
  auto r = state_->createLocked(type, fields, nullptr, state_->contextFor(actor));
  state_->persistLocked();
  return r;
}

ApiResult<Json> Site::update(const std::string& type, std::int64_t id, const Json& fields, const Json& modes,
                             const Actor& actor) {
  std::unique_lock lock(state_->mutex);
  auto r = state_->updateLocked(type, id, fields, modes, state_->contextFor(actor));
  state_->persistLocked();
  return r;
}

ApiResult<bool> Site::retire(const std::string& type, std::int64_t id, const Actor& actor) {
  std::unique_lock lock(state_->mutex);
  auto r = state_->retireLocked(type, id, state_->contextFor(actor));
  state_->persistLocked();
  return r;
}

ApiResult<bool> Site::revive(const std::string& type, std::int64_t id, const Actor& actor) {
  std::unique_lock lock(state_->mutex);
  auto r = state_->reviveLocked(type, id, state_->contextFor(actor));
  state_->persistLocked();
  return r;
}

ApiResult<Json> Site::read(const Json& params) {
  std::shared_lock lock(state_->mutex);
  return state_->readLocked(params, nullptr);
}

std::int64_t Site::lastEventId() const {
  std::shared_lock lock(state_->mutex);
  return state_->events.rows().empty() ? 0 : state_->events.rows().back().id;
}

std::int64_t Site::nextEventId() const {
  std::shared_lock lock(state_->mutex);
  return state_->nextEventId;
}

std::int64_t Site::eventCount() const {
  std::shared_lock lock(state_->mutex);
  return static_cast<std::int64_t>(state_->events.size());
}

void Site::hideIds(const std::vector<std::int64_t>& ids, HideSpec spec) {
  std::unique_lock lock(state_->mutex);
  for (const auto id : ids) {
    state_->hidden[id] = spec;
  }
}

void Site::hideRange(IdRange range, HideSpec spec) {
  std::unique_lock lock(state_->mutex);
  for (std::int64_t id = range.first; id <= range.last; ++id) {
    state_->hidden[id] = spec;
  }
}

IdRange Site::hideNext(std::int64_t n, HideSpec spec) {
  std::unique_lock lock(state_->mutex);
  IdRange range{state_->nextEventId, state_->nextEventId + n - 1};
  for (std::int64_t id = range.first; id <= range.last; ++id) {
    state_->hidden[id] = spec;
  }
  return range;
}

void Site::release(const std::vector<std::int64_t>& ids) {
  std::unique_lock lock(state_->mutex);
  for (const auto id : ids) {
    const auto it = state_->hidden.find(id);
    if (it != state_->hidden.end() && it->second.mode != HideSpec::Mode::Never) {
      state_->hidden.erase(it);
    }
  }
}

void Site::releaseAll() {
  std::unique_lock lock(state_->mutex);
  std::erase_if(state_->hidden, [](const auto& entry) { return entry.second.mode != HideSpec::Mode::Never; });
}

std::vector<std::int64_t> Site::hiddenIds() const {
  std::shared_lock lock(state_->mutex);
  const auto now = state_->nowSeconds();
  std::vector<std::int64_t> out;
  for (const auto& [id, spec] : state_->hidden) {
    if (!state_->visible(id, now)) {
      out.push_back(id);
    }
  }
  return out;
}

bool Site::isVisible(std::int64_t id) const {
  std::shared_lock lock(state_->mutex);
  return state_->events.find(id) != nullptr && state_->visible(id, state_->nowSeconds());
}

void Site::injectFault(FaultSpec spec) { state_->faults.add(std::move(spec)); }
void Site::clearFaults() { state_->faults.clear(); }

Counters Site::counters() const {
  std::lock_guard lock(state_->countersMutex);
  return state_->counters;
}

void Site::resetCounters() {
  std::lock_guard lock(state_->countersMutex);
  state_->counters = {};
}

Expected<void> Site::lastPersistError() const {
  std::shared_lock lock(state_->mutex);
  return state_->persistError;
}

core::ClockPtr Site::clock() const { return state_->clock; }

const std::vector<Script>& Site::scripts() const { return state_->options.scripts; }

}  // namespace sgeventd::sim
