#include "shotgrid/client.h"

#include <algorithm>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

#include "shotgrid/event_codec.h"
#include "shotgrid/event_page.h"
#include "shotgrid/filters.h"
#include "shotgrid/http_transport.h"
#include "shotgrid/response.h"

namespace sgeventd::shotgrid {
namespace {

constexpr auto kReplaceInvalid = Json::error_handler_t::replace;

tl::unexpected<ClientError> invalid(std::string message) {
  return tl::unexpected(ClientError{ErrorKind::InvalidArgument, std::move(message)});
}

tl::unexpected<ClientError> malformed(std::string message) {
  return tl::unexpected(ClientError{ErrorKind::Malformed, std::move(message)});
}

// shotgun_api3's urljoin(base_path, "api3/json"): a path prefix in the server URL is kept.
std::string apiUrl(std::string server) {
  while (!server.empty() && server.back() == '/') {
    server.pop_back();
  }
  return server + "/api3/json";
}

TransportOptions transportOptions(const ClientOptions& o) {
  TransportOptions t;
  t.url = apiUrl(o.server);
  t.proxy = o.httpProxy;
  t.caPath = o.caPath;
  t.verifyTls = o.verifyTls;
  t.connectTimeout = o.connectTimeout;
  t.totalTimeout = o.totalTimeout;
  t.acceptCompression = o.acceptCompression;
  if (o.shutdown != nullptr && o.abandonOnStop) {
    t.cancelled = [shutdown = o.shutdown] { return shutdown->requested(); };
  }
  return t;
}

Json fieldList(const Json& data, const Json& modes) {
  Json fields = Json::array();
  for (const auto& [name, value] : data.items()) {
    Json field{{"field_name", name}, {"value", value}};
    if (modes.is_object()) {
      const auto mode = modes.find(name);
      if (mode != modes.end() && mode->is_string()) {
        field["multi_entity_update_mode"] = *mode;
      }
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

Json returnFields(const std::vector<std::string>& fields) {
  return fields.empty() ? Json::array({"id"}) : Json(fields);
}

const Json* pagingValue(const Json& results, const char* key) {
  if (!results.is_object()) {
    return nullptr;
  }
  const auto info = results.find("paging_info");
  if (info == results.end() || !info->is_object()) {
    return nullptr;
  }
  const auto it = info->find(key);
  return it == info->end() ? nullptr : &*it;
}

// Translates one user-side batch request ({"request_type","entity_type","entity_id","data",...}).
Result<Json> batchRequest(const Json& request) {
  if (!request.is_object() || !request.contains("request_type") || !request["request_type"].is_string()) {
    return invalid("a batch request needs a request_type");
  }
  const std::string kind = request["request_type"].get<std::string>();
  const Json* type = request.contains("entity_type") ? &request["entity_type"]
                     : request.contains("type")      ? &request["type"]
                                                     : nullptr;
  if (type == nullptr || !type->is_string()) {
    return invalid("batch " + kind + " request needs an entity_type");
  }
  Json out{{"request_type", kind}, {"type", *type}};
  if (kind != "create") {
    const Json* id = request.contains("entity_id") ? &request["entity_id"]
                     : request.contains("id")      ? &request["id"]
                                                   : nullptr;
    if (id == nullptr || !id->is_number_integer()) {
      return invalid("batch " + kind + " request needs an integer entity_id");
    }
    out["id"] = *id;
  }
  if (kind == "create" || kind == "update") {
    const auto data = request.find("data");
    if (data == request.end() || !data->is_object()) {
      return invalid("batch " + kind + " request needs a data dict");
    }
    const auto modes = request.find("multi_entity_update_modes");
    out["fields"] = fieldList(*data, modes == request.end() ? Json() : *modes);
    if (kind == "create") {
      const auto rf = request.find("return_fields");
      out["return_fields"] = rf != request.end() && rf->is_array() ? *rf : Json::array({"id"});
    }
  } else if (kind != "delete") {
    return invalid("unknown batch request_type '" + kind + "' (create, update or delete)");
  }
  return out;
}

// The event path's reply: its events, when the fast decoder took it (event_page.h), or else the body as
// the general decoder reads it, for findEvents to take apart or refuse as it always has.
using EventReply = std::variant<std::vector<core::Event>, nlohmann::ordered_json>;

// A decoder for `send`: an HTTP, JSON or api3 failure is its error, and so retried the same.
auto eventReplyDecoder(std::size_t expectedEvents) {
  return [expectedEvents](const HttpResponse& response) -> Result<EventReply> {
    if (auto events = decodeEventPage(response, expectedEvents)) {
      return EventReply(std::move(*events));
    }
    auto body = decodeOrderedResponse(response);
    if (!body) {
      return tl::unexpected(std::move(body.error()));
    }
    return EventReply(std::move(*body));
  };
}

}  // namespace

struct Client::Impl {
  explicit Impl(ClientOptions o)
      : options(std::move(o)), transport(transportOptions(options)), backoff(options.retry.backoff) {}

  Json authParams() const {
    Json auth{{"script_name", options.auth.scriptName}, {"script_key", options.auth.scriptKey}};
    if (options.auth.sessionUuid) {
      auth["session_uuid"] = *options.auth.sessionUuid;
    }
    if (options.auth.sudoAsLogin) {
      auth["sudo_as_login"] = *options.auth.sudoAsLogin;
    }
    return auth;
  }

  void log(core::LogLevel level, const std::string& line) const {
    if (options.logger) {
      options.logger->log(level, redact(line, options.auth.scriptKey));
    }
  }

  // Sends one api3 call (with retries) and returns the body as `decode` reads it (decodeResponse, or the
  // event path's decoder). A failure of `decode` is a failed attempt like any other.
  template <class Decode>
  std::invoke_result_t<Decode&, const HttpResponse&> send(const std::string& method, const Json& params,
                                                          bool idempotent, Decode decode) {
    using Outcome = std::invoke_result_t<Decode&, const HttpResponse&>;
    if (options.server.empty()) {
      return invalid("no server URL configured");
    }
    Json envelope{{"method_name", method}, {"params", Json::array()}};
    if (method != "info") {
      envelope["params"].push_back(authParams());
      if (!params.is_null()) {
        envelope["params"].push_back(params);
      }
    }
    const std::string body = envelope.dump(-1, ' ', false, kReplaceInvalid);
    const int maxAttempts = std::max(1, options.retry.maxAttempts);
    std::string lastFailure;
    for (int attempt = 1;; ++attempt) {
      bool neverConnected = false;
      std::optional<std::chrono::seconds> retryAfter;
      Outcome outcome = [&]() -> Outcome {
        auto reply = transport.post(body);
        if (!reply) {
          neverConnected = reply.error().neverConnected();
          return tl::unexpected(errorFromTransport(reply.error()));
        }
        retryAfter = reply->retryAfter;
        return decode(*reply);
      }();
      // A burst is one call's run of retried failures. A storm of 502s, resets or truncated replies would
      // be a line per attempt (and per call of every lane); instead its first retry says what failed and
      // its end says how it ended, with the count.
      if (outcome) {
        if (attempt > 1) {
          log(core::LogLevel::Info, "api3 " + method + " succeeded after " + std::to_string(attempt) +
                                        " attempts (last failure: " + lastFailure + ")");
        }
        return outcome;
      }
      ClientError error = std::move(outcome.error());
      error.attempts = attempt;
      error.message = redact(std::move(error.message), options.auth.scriptKey);
      if (options.abandonOnStop && options.shutdown != nullptr && options.shutdown->requested()) {
        log(core::LogLevel::Info, "api3 " + method + " abandoned after " + std::to_string(attempt) +
                                      (attempt == 1 ? " attempt" : " attempts") + ": the daemon is stopping");
        return tl::unexpected(std::move(error));
      }
      const bool retryable = isRetryable(error, idempotent, neverConnected);
      if (attempt >= maxAttempts || !retryable) {
        if (attempt > 1) {  // a single failed attempt is the caller's to report: it is no burst
          log(core::LogLevel::Warning, "api3 " + method + " failed after " + std::to_string(attempt) +
                                           " attempts: " + error.describe());
        }
        return tl::unexpected(std::move(error));
      }
      auto wait = backoff.delay(attempt);
      if (retryAfter) {
        const auto asked = std::min<std::chrono::milliseconds>(*retryAfter, options.retry.maxRetryAfter);
        wait = std::max(wait, asked);
      }
      lastFailure = error.describe();
      if (attempt == 1) {
        log(core::LogLevel::Warning, "api3 " + method + " failed (" + lastFailure + "); retrying, up to " +
                                         std::to_string(maxAttempts) + " attempts (next in " +
                                         std::to_string(wait.count()) + " ms)");
      }
      // A stop cuts the wait short (a Retry-After of minutes must not hold the daemon's shutdown).
      if (options.shutdown != nullptr) {
        if (options.shutdown->waitFor(wait)) {
          log(core::LogLevel::Info, "api3 " + method + " not retried after " + std::to_string(attempt) +
                                        " attempts: the daemon is stopping");
          return tl::unexpected(std::move(error));
        }
      } else {
        std::this_thread::sleep_for(wait);
      }
    }
  }

  Result<Json> results(const std::string& method, const Json& params, bool idempotent) {
    auto body = send(method, params, idempotent, decodeResponse);
    if (!body) {
      return body;
    }
    return takeResults(std::move(*body));
  }

  ClientOptions options;
  HttpTransport transport;
  core::Backoff backoff;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

void Client::setSessionUuid(std::optional<std::string> uuid) {
  impl_->options.auth.sessionUuid = std::move(uuid);
}

const ClientOptions& Client::options() const { return impl_->options; }

Result<Json> Client::call(const std::string& method, const Json& params, bool idempotent) {
  return impl_->results(method, params, idempotent);
}

Result<Json> Client::info() { return impl_->results("info", nullptr, true); }

Result<Json> Client::find(const std::string& entityType, const Json& filters,
                          const std::vector<std::string>& fields, const FindOptions& options) {
  auto wireFilters = translateFilters(filters);
  if (!wireFilters) {
    return wireFilters;
  }
  auto sorts = translateOrder(options.order);
  if (!sorts) {
    return sorts;
  }
  const int limit = options.limit.value_or(0);
  if (limit < 0) {
    return invalid("limit must not be negative");
  }
  if (options.page && *options.page < 1) {
    return invalid("page numbers start at 1");
  }
  const int pageSize = std::max(1, impl_->options.entitiesPerPage);
  Json params{{"type", entityType},
              {"return_fields", returnFields(fields)},
              {"filters", std::move(*wireFilters)},
              {"return_only", options.retiredOnly ? "retired" : "active"},
              {"api_return_image_urls", true}};
  if (!sorts->empty()) {
    params["sorts"] = std::move(*sorts);
  }
  if (!options.includeArchivedProjects) {
    params["include_archived_projects"] = false;
  }
  if (!options.additionalFilterPresets.is_null()) {
    params["additional_filter_presets"] = options.additionalFilterPresets;
  }

  // A single page: an explicit page number, or a limit that fits in one page.
  if (options.page || (limit > 0 && limit <= pageSize)) {
    const int perPage = limit > 0 && limit <= pageSize ? limit : pageSize;
    params["paging"] = {{"entities_per_page", perPage}, {"current_page", options.page.value_or(1)}};
    params["return_paging_info"] = false;
    auto results = impl_->results("read", params, true);
    if (!results) {
      return results;
    }
    return entitiesOf(std::move(*results));
  }

  params["return_paging_info"] = true;
  Json all = Json::array();
  for (int page = 1;; ++page) {
    params["paging"] = {{"entities_per_page", pageSize}, {"current_page", page}};
    auto results = impl_->results("read", params, true);
    if (!results) {
      return results;
    }
    const Json* hasNext = pagingValue(*results, "has_next_page");
    const Json* total = pagingValue(*results, "entity_count");
    const bool knowsNext = hasNext != nullptr && hasNext->is_boolean();
    const bool more = knowsNext && hasNext->get<bool>();
    const std::int64_t entityCount =
        total != nullptr && total->is_number_integer() ? total->get<std::int64_t>() : std::int64_t{-1};
    auto entities = entitiesOf(std::move(*results));
    if (!entities) {
      return entities;
    }
    const std::size_t received = entities->size();
    for (auto& entity : *entities) {
      all.push_back(std::move(entity));
      if (limit > 0 && all.size() >= static_cast<std::size_t>(limit)) {
        return all;
      }
    }
    if (received == 0) {
      break;
    }
    if (knowsNext) {
      if (!more) {
        break;
      }
    } else if (entityCount >= 0) {
      if (static_cast<std::int64_t>(all.size()) >= entityCount) {
        break;
      }
    } else if (received < static_cast<std::size_t>(pageSize)) {
      break;
    }
  }
  return all;
}

Result<Json> Client::findOne(const std::string& entityType, const Json& filters,
                             const std::vector<std::string>& fields, const FindOptions& options) {
  FindOptions one = options;
  one.limit = 1;
  one.page.reset();
  auto found = find(entityType, filters, fields, one);
  if (!found) {
    return found;
  }
  return found->empty() ? Json(nullptr) : std::move((*found)[0]);
}

Result<Json> Client::create(const std::string& entityType, const Json& data,
                            const std::vector<std::string>& fields) {
  if (!data.is_object()) {
    return invalid("create data must be a dict of field values");
  }
  const Json params{
      {"type", entityType}, {"fields", fieldList(data, nullptr)}, {"return_fields", returnFields(fields)}};
  auto results = impl_->results("create", params, false);
  if (!results) {
    return results;
  }
  if (results->is_array()) {
    if (results->empty()) {
      return malformed("create returned an empty list");
    }
    return std::move((*results)[0]);
  }
  return results;
}

Result<Json> Client::update(const std::string& entityType, std::int64_t id, const Json& data,
                            const Json& multiEntityUpdateModes) {
  if (!data.is_object()) {
    return invalid("update data must be a dict of field values");
  }
  if (!multiEntityUpdateModes.is_null() && !multiEntityUpdateModes.is_object()) {
    return invalid("multi_entity_update_modes must be a dict {field: set|add|remove}");
  }
  const Json params{{"type", entityType}, {"id", id}, {"fields", fieldList(data, multiEntityUpdateModes)}};
  return impl_->results("update", params, false);
}

namespace {
Result<bool> boolResult(Result<Json>&& results, const char* method) {
  if (!results) {
    return tl::unexpected(std::move(results.error()));
  }
  if (!results->is_boolean()) {
    return malformed(std::string(method) + " did not return true or false");
  }
  return results->get<bool>();
}
}  // namespace

Result<bool> Client::remove(const std::string& entityType, std::int64_t id) {
  return boolResult(impl_->results("delete", Json{{"type", entityType}, {"id", id}}, false), "delete");
}

Result<bool> Client::revive(const std::string& entityType, std::int64_t id) {
  return boolResult(impl_->results("revive", Json{{"type", entityType}, {"id", id}}, false), "revive");
}

Result<Json> Client::batch(const Json& requests) {
  if (!requests.is_array()) {
    return invalid("batch requests must be a list");
  }
  if (requests.empty()) {
    return Json::array();
  }
  Json wire = Json::array();
  for (const auto& request : requests) {
    auto translated = batchRequest(request);
    if (!translated) {
      return translated;
    }
    wire.push_back(std::move(*translated));
  }
  return impl_->results("batch", wire, false);
}

Result<Json> Client::summarize(const std::string& entityType, const Json& filters, const Json& summaryFields,
                               const Json& grouping, bool includeArchivedProjects) {
  auto wireFilters = translateFilters(filters);
  if (!wireFilters) {
    return wireFilters;
  }
  if (!summaryFields.is_array()) {
    return invalid("summary fields must be a list of {field, type} dicts");
  }
  Json params{{"type", entityType}, {"summaries", summaryFields}, {"filters", std::move(*wireFilters)}};
  if (!grouping.is_null()) {
    if (!grouping.is_array()) {
      return invalid("grouping must be a list of {field, type, direction} dicts");
    }
    params["grouping"] = grouping;
  }
  if (!includeArchivedProjects) {
    params["include_archived_projects"] = false;
  }
  return impl_->results("summarize", params, true);
}

Result<Json> Client::schemaRead(const Json& project) {
  return impl_->results("schema_read", project.is_null() ? Json() : Json{{"project", project}}, true);
}

Result<Json> Client::schemaEntityRead(const Json& project) {
  return impl_->results("schema_entity_read", project.is_null() ? Json() : Json{{"project", project}}, true);
}

Result<Json> Client::schemaFieldRead(const std::string& entityType,
                                     const std::optional<std::string>& fieldName, const Json& project) {
  Json params{{"type", entityType}};
  if (fieldName) {
    params["field_name"] = *fieldName;
  }
  if (!project.is_null()) {
    params["project"] = project;
  }
  return impl_->results("schema_field_read", params, true);
}

Result<std::vector<core::Event>> Client::findEvents(const Json& filters, int limit) {
  if (limit <= 0) {
    return invalid("findEvents needs a positive limit");
  }
  auto wireFilters = translateFilters(filters);
  if (!wireFilters) {
    return tl::unexpected(std::move(wireFilters.error()));
  }
  const Json params{{"type", "EventLogEntry"},
                    {"return_fields", eventFields()},
                    {"filters", std::move(*wireFilters)},
                    {"return_only", "active"},
                    {"paging", {{"entities_per_page", limit}, {"current_page", 1}}},
                    {"sorts", Json::array({{{"field_name", "id"}, {"direction", "asc"}}})},
                    {"api_return_image_urls", true},
                    {"return_paging_info", false}};
  // A well-formed page is decoded straight from the reply's text (event_page.h); any other reply, in the
  // reply's key order too, as before: Event::json is what Python plugins iterate (`type, id, ...`).
  auto reply = impl_->send("read", params, true, eventReplyDecoder(static_cast<std::size_t>(limit)));
  if (!reply) {
    return tl::unexpected(std::move(reply.error()));
  }
  if (auto* events = std::get_if<std::vector<core::Event>>(&*reply)) {
    return std::move(*events);
  }
  return eventsFromBody(std::get<nlohmann::ordered_json>(std::move(*reply)));
}

}  // namespace sgeventd::shotgrid
