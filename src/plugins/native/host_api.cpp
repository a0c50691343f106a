// The C functions behind sgeventd_host_api. Each one is noexcept in spirit: whatever the C++ underneath
// throws is turned into an error value, because nothing may unwind through a plugin's C frames.
#include <array>
#include <chrono>
#include <nlohmann/json.hpp>

#include "plugins/native/handles.h"
#include "plugins/native/registration.h"
#include "shotgrid/client.h"

sgeventd_connection::sgeventd_connection() = default;
sgeventd_connection::~sgeventd_connection() = default;

namespace sgeventd::plugins::native {
namespace {

using Json = nlohmann::json;

const char* orNull(const std::optional<std::string>& text) { return text ? text->c_str() : nullptr; }

int64_t eventId(const sgeventd_event* e) { return e->event->id; }
const char* eventType(const sgeventd_event* e) { return e->event->eventType.c_str(); }
const char* eventAttributeName(const sgeventd_event* e) { return orNull(e->event->attributeName); }

int eventLink(const sgeventd_event* e, sgeventd_link which, sgeventd_entity_ref* out) {
  const std::optional<core::EntityRef>* link = nullptr;
  switch (which) {
    case SGEVENTD_LINK_ENTITY:
      link = &e->event->entity;
      break;
    case SGEVENTD_LINK_USER:
      link = &e->event->user;
      break;
    case SGEVENTD_LINK_PROJECT:
      link = &e->event->project;
      break;
  }
  if (link == nullptr || !link->has_value() || out == nullptr) {
    return 0;
  }
  out->type = (*link)->type.c_str();
  out->id = (*link)->id;
  out->name = (*link)->name.c_str();
  return 1;
}

const char* eventSessionUuid(const sgeventd_event* e) { return orNull(e->event->sessionUuid); }

int eventCreatedAt(const sgeventd_event* e, int64_t* seconds, int32_t* micros) {
  if (!e->event->createdAt) {
    return 0;
  }
  const auto sinceEpoch =
      std::chrono::duration_cast<std::chrono::microseconds>(e->event->createdAt->time_since_epoch()).count();
  // Floor division, so times before 1970 keep 0 <= micros < 1e6.
  int64_t whole = sinceEpoch / 1000000;
  int64_t rest = sinceEpoch % 1000000;
  if (rest < 0) {
    rest += 1000000;
    whole -= 1;
  }
  if (seconds != nullptr) {
    *seconds = whole;
  }
  if (micros != nullptr) {
    *micros = static_cast<int32_t>(rest);
  }
  return 1;
}

const char* eventMetaJson(const sgeventd_event* e) { return e->event->metaJson.c_str(); }
const char* eventJson(const sgeventd_event* e) { return e->event->json.c_str(); }
const char* eventArgsJson(const sgeventd_event* e) {
  return e->argsJson != nullptr ? e->argsJson->c_str() : "null";
}

void eventSetError(const sgeventd_event* e, const char* message) {
  try {
    e->error = message != nullptr ? message : "";
    e->errorSet = true;
  } catch (...) {
    e->errorSet = true;  // out of memory: the outcome still fails, with the generic text
  }
}

void log(sgeventd_logger* logger, sgeventd_log_level level, const char* message) {
  try {
    logger->logger->log(static_cast<core::LogLevel>(level), message != nullptr ? message : "");
  } catch (...) {
    // A failing sink must not unwind into the plugin.
  }
}

int logEnabled(sgeventd_logger* logger, sgeventd_log_level level) {
  return logger->logger->enabled(static_cast<core::LogLevel>(level)) ? 1 : 0;
}

const char* loggerName(sgeventd_logger* logger) { return logger->logger->name().c_str(); }

sgeventd_status finish(sgeventd_connection* sg, const shotgrid::Result<Json>& result, const char** outResult,
                       const char** outError) {
  if (result) {
    sg->result = result->dump();
    if (outResult != nullptr) {
      *outResult = sg->result.c_str();
    }
    return SGEVENTD_OK;
  }
  sg->error = result.error().describe();
  if (outError != nullptr) {
    *outError = sg->error.c_str();
  }
  // Version 1 knew only OK and ERROR; its plugins keep getting exactly that.
  return result.error().transient() && sg->apiVersion >= 2 ? SGEVENTD_RETRY : SGEVENTD_ERROR;
}

sgeventd_status refuse(sgeventd_connection* sg, std::string message, const char** outError) {
  sg->error = std::move(message);
  if (outError != nullptr) {
    *outError = sg->error.c_str();
  }
  return SGEVENTD_ERROR;
}

constexpr const char* kNoClient = "this daemon has no ShotGrid connection for plugins";

sgeventd_status call(sgeventd_connection* sg, const char* method, const char* paramsJson,
                     const char** outResult, const char** outError) {
  try {
    if (sg->client == nullptr) {
      return refuse(sg, kNoClient, outError);
    }
    if (method == nullptr || *method == '\0') {
      return refuse(sg, "call(): the method name is empty", outError);
    }
    Json params = Json::parse(paramsJson != nullptr ? paramsJson : "null", nullptr, false);
    if (params.is_discarded()) {
      return refuse(sg, std::string("call(") + method + "): params_json is not valid JSON", outError);
    }
    return finish(sg, sg->client->call(method, params, isIdempotentMethod(method)), outResult, outError);
  } catch (const std::exception& error) {
    return refuse(sg, std::string("call() failed: ") + error.what(), outError);
  } catch (...) {
    return refuse(sg, "call() failed", outError);
  }
}

sgeventd_status find(sgeventd_connection* sg, const char* entityType, const char* filtersJson,
                     const char* fieldsJson, const char* orderJson, int32_t limit, const char** outResult,
                     const char** outError) {
  try {
    if (sg->client == nullptr) {
      return refuse(sg, kNoClient, outError);
    }
    if (entityType == nullptr || *entityType == '\0') {
      return refuse(sg, "find(): the entity type is empty", outError);
    }
    Json filters = Json::parse(filtersJson != nullptr ? filtersJson : "[]", nullptr, false);
    Json fields = Json::parse(fieldsJson != nullptr ? fieldsJson : "[\"id\"]", nullptr, false);
    Json order = Json::parse(orderJson != nullptr ? orderJson : "[]", nullptr, false);
    if (filters.is_discarded() || fields.is_discarded() || order.is_discarded()) {
      return refuse(sg, "find(): filters, fields or order is not valid JSON", outError);
    }
    if (!fields.is_array()) {
      return refuse(sg, "find(): fields must be a JSON array of field names", outError);
    }
    std::vector<std::string> fieldNames;
    for (const auto& field : fields) {
      if (!field.is_string()) {
        return refuse(sg, "find(): fields must be a JSON array of field names", outError);
      }
      fieldNames.push_back(field.get<std::string>());
    }
    shotgrid::FindOptions options;
    options.order = order.is_null() ? Json::array() : order;
    if (limit > 0) {
      options.limit = limit;
    }
    return finish(sg, sg->client->find(entityType, filters, fieldNames, options), outResult, outError);
  } catch (const std::exception& error) {
    return refuse(sg, std::string("find() failed: ") + error.what(), outError);
  } catch (...) {
    return refuse(sg, "find() failed", outError);
  }
}

void setSessionUuid(sgeventd_connection* sg, const char* uuid) {
  try {
    if (sg->client != nullptr) {
      sg->client->setSessionUuid(uuid != nullptr ? std::optional<std::string>(uuid) : std::nullopt);
    }
  } catch (...) {
    // Only allocation can fail here; the next call simply carries the previous uuid.
  }
}

constexpr sgeventd_host_api kHostApi = {
    SGEVENTD_PLUGIN_API_VERSION,
    sizeof(sgeventd_host_api),
    &eventId,
    &eventType,
    &eventAttributeName,
    &eventLink,
    &eventSessionUuid,
    &eventCreatedAt,
    &eventMetaJson,
    &eventJson,
    &eventArgsJson,
    &eventSetError,
    &log,
    &logEnabled,
    &loggerName,
    &call,
    &find,
    &setSessionUuid,
    &registrarSetError,
};

}  // namespace

const sgeventd_host_api* hostApi() { return &kHostApi; }

bool isIdempotentMethod(const std::string& method) {
  static constexpr std::array<const char*, 14> kReads = {"read",
                                                         "info",
                                                         "schema_read",
                                                         "schema_entity_read",
                                                         "schema_field_read",
                                                         "summarize",
                                                         "text_search",
                                                         "note_thread_contents",
                                                         "activity_stream",
                                                         "followers",
                                                         "following",
                                                         "preferences_read",
                                                         "work_schedule_read",
                                                         "user_subscriptions_read"};
  for (const char* read : kReads) {
    if (method == read) {
      return true;
    }
  }
  return false;
}

}  // namespace sgeventd::plugins::native
