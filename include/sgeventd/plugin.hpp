// sgeventd native plugins, C++20 layer over the C ABI in plugin.h. Header-only; needs nlohmann/json.
//
//   #include <sgeventd/plugin.hpp>
//   namespace sdk = sgeventd::sdk;
//   void registerCallbacks(sdk::Registrar& reg) {
//     reg.registerCallback("logIt", "script", "key",
//                          [](const sdk::Event& e, sdk::Logger& log, sdk::Connection&, const nlohmann::json&)
//                          {
//                            log.info("event ", e.id(), " ", e.eventType());
//                          },
//                          {{"Shotgun_Task_Change", {"sg_status_list"}}});
//   }
//   SGEVENTD_PLUGIN(registerCallbacks)
//
// A callback fails by throwing (any std::exception; its what() becomes the error the daemon logs). A
// transient failure (the site down or busy, the network) is retried by the daemon: throw sdk::Retry, or let
// a transient CallError (from CallResult::value()) escape. Nothing thrown ever crosses into the daemon: the
// trampolines below catch everything.
#pragma once

#include <sgeventd/plugin.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sgeventd::sdk {

using Json = nlohmann::json;

// Thrown by a callback to report a failure with a message: the original's policy applies (stopOnError).
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a callback for a transient failure: the daemon retries the event later, as its retry policy
// allows, before treating it as a Failure.
class Retry : public Failure {
 public:
  using Failure::Failure;
};

// Thrown by CallResult::value(): a failed ShotGrid call. Escaping a callback, a transient one (connection
// error, timeout, HTTP 429 or 5xx) is retried like Retry; any other is a Failure.
class CallError : public Failure {
 public:
  CallError(const std::string& message, bool transient) : Failure(message), transient_(transient) {}
  bool transient() const { return transient_; }

 private:
  bool transient_;
};

struct EntityRef {
  std::string type;
  std::int64_t id = 0;
  std::string name;
};

// The outcome of a ShotGrid call: a parsed value or the daemon's error text.
class CallResult {
 public:
  static CallResult success(Json value) { return CallResult(std::move(value), {}, true, false); }
  static CallResult failure(std::string error, bool transient = false) {
    return CallResult(nullptr, std::move(error), false, transient);
  }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& error() const { return error_; }
  // A failure that may pass (connection error, timeout, HTTP 429 or 5xx): worth a retry later.
  bool transient() const { return transient_; }
  // The value, or throws CallError: lets a callback write `sg.update(...).value();`, and a transient
  // failure escaping that way is retried by the daemon.
  const Json& value() const {
    if (!ok_) {
      throw CallError(error_, transient_);
    }
    return value_;
  }
  const Json& operator*() const { return value(); }
  const Json* operator->() const { return &value(); }

 private:
  CallResult(Json value, std::string error, bool ok, bool transient)
      : value_(std::move(value)), error_(std::move(error)), ok_(ok), transient_(transient) {}
  Json value_;
  std::string error_;
  bool ok_;
  bool transient_;
};

class Event {
 public:
  Event(const sgeventd_event* raw, const sgeventd_host_api* api) : raw_(raw), api_(api) {}

  std::int64_t id() const { return api_->event_id(raw_); }
  std::string_view eventType() const { return api_->event_type(raw_); }
  std::optional<std::string_view> attributeName() const {
    return optionalText(api_->event_attribute_name(raw_));
  }
  std::optional<EntityRef> entity() const { return link(SGEVENTD_LINK_ENTITY); }
  std::optional<EntityRef> user() const { return link(SGEVENTD_LINK_USER); }
  std::optional<EntityRef> project() const { return link(SGEVENTD_LINK_PROJECT); }
  std::optional<std::string_view> sessionUuid() const { return optionalText(api_->event_session_uuid(raw_)); }
  std::optional<std::chrono::system_clock::time_point> createdAt() const {
    std::int64_t seconds = 0;
    std::int32_t micros = 0;
    if (api_->event_created_at(raw_, &seconds, &micros) == 0) {
      return std::nullopt;
    }
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(seconds) +
                                                                        std::chrono::microseconds(micros)));
  }
  std::string_view metaJson() const { return api_->event_meta_json(raw_); }
  Json meta() const { return Json::parse(metaJson()); }
  std::string_view rawJson() const { return api_->event_json(raw_); }
  Json json() const { return Json::parse(rawJson()); }
  const sgeventd_event* raw() const { return raw_; }

 private:
  static std::optional<std::string_view> optionalText(const char* text) {
    return text != nullptr ? std::optional<std::string_view>(text) : std::nullopt;
  }
  std::optional<EntityRef> link(sgeventd_link which) const {
    sgeventd_entity_ref ref{};
    if (api_->event_link(raw_, which, &ref) == 0) {
      return std::nullopt;
    }
    return EntityRef{ref.type != nullptr ? ref.type : "", ref.id, ref.name != nullptr ? ref.name : ""};
  }
  const sgeventd_event* raw_;
  const sgeventd_host_api* api_;
};

class Logger {
 public:
  Logger(sgeventd_logger* raw, const sgeventd_host_api* api) : raw_(raw), api_(api) {}

  // Each argument is streamed with operator<<: log.info("event ", id, " done").
  template <class... Parts>
  void log(sgeventd_log_level level, const Parts&... parts) {
    if (api_->log_enabled(raw_, level) == 0) {
      return;
    }
    std::ostringstream text;
    (text << ... << parts);
    api_->log(raw_, level, text.str().c_str());
  }
  template <class... Parts>
  void debug(const Parts&... parts) {
    log(SGEVENTD_LOG_DEBUG, parts...);
  }
  template <class... Parts>
  void info(const Parts&... parts) {
    log(SGEVENTD_LOG_INFO, parts...);
  }
  template <class... Parts>
  void warning(const Parts&... parts) {
    log(SGEVENTD_LOG_WARNING, parts...);
  }
  template <class... Parts>
  void error(const Parts&... parts) {
    log(SGEVENTD_LOG_ERROR, parts...);
  }
  template <class... Parts>
  void critical(const Parts&... parts) {
    log(SGEVENTD_LOG_CRITICAL, parts...);
  }
  std::string_view name() const { return api_->logger_name(raw_); }

 private:
  sgeventd_logger* raw_;
  const sgeventd_host_api* api_;
};

// The callback's own ShotGrid connection; every method returns the parsed result or the error.
class Connection {
 public:
  Connection(sgeventd_connection* raw, const sgeventd_host_api* api) : raw_(raw), api_(api) {}

  // One api3 method with its parameter object (or array, for "batch").
  CallResult call(const std::string& method, const Json& params) {
    const std::string text = params.dump();
    const char* result = nullptr;
    const char* error = nullptr;
    const sgeventd_status status = api_->call(raw_, method.c_str(), text.c_str(), &result, &error);
    return outcome(status, result, error);
  }

  // filters in shotgun_api3's syntax: [["sg_status_list", "is", "fin"], ...]
  CallResult find(const std::string& entityType, const Json& filters, const std::vector<std::string>& fields,
                  const Json& order = Json::array(), int limit = 0) {
    const std::string filtersText = filters.dump();
    const std::string fieldsText = Json(fields).dump();
    const std::string orderText = order.dump();
    const char* result = nullptr;
    const char* error = nullptr;
    const sgeventd_status status = api_->find(raw_, entityType.c_str(), filtersText.c_str(),
                                              fieldsText.c_str(), orderText.c_str(), limit, &result, &error);
    return outcome(status, result, error);
  }
  // The first match, or null.
  CallResult findOne(const std::string& entityType, const Json& filters,
                     const std::vector<std::string>& fields, const Json& order = Json::array()) {
    CallResult all = find(entityType, filters, fields, order, 1);
    if (!all) {
      return all;
    }
    return CallResult::success(all->empty() ? Json(nullptr) : (*all)[0]);
  }
  CallResult create(const std::string& entityType, const Json& data,
                    const std::vector<std::string>& returnFields = {"id"}) {
    return call("create",
                {{"type", entityType}, {"fields", fieldList(data)}, {"return_fields", returnFields}});
  }
  CallResult update(const std::string& entityType, std::int64_t id, const Json& data) {
    return call("update", {{"type", entityType}, {"id", id}, {"fields", fieldList(data)}});
  }
  CallResult remove(const std::string& entityType, std::int64_t id) {
    return call("delete", {{"type", entityType}, {"id", id}});
  }
  void setSessionUuid(const std::optional<std::string>& uuid) {
    api_->set_session_uuid(raw_, uuid ? uuid->c_str() : nullptr);
  }

 private:
  static CallResult outcome(sgeventd_status status, const char* result, const char* error) {
    if (status != SGEVENTD_OK) {
      return CallResult::failure(error != nullptr ? error : "unknown error", status == SGEVENTD_RETRY);
    }
    return parsed(result);
  }
  static CallResult parsed(const char* text) {
    Json value = Json::parse(text != nullptr ? text : "null", nullptr, false);
    if (value.is_discarded()) {
      return CallResult::failure("the daemon returned malformed JSON");
    }
    return CallResult::success(std::move(value));
  }
  static Json fieldList(const Json& data) {
    Json fields = Json::array();
    for (const auto& [name, value] : data.items()) {
      fields.push_back({{"field_name", name}, {"value", value}});
    }
    return fields;
  }
  sgeventd_connection* raw_;
  const sgeventd_host_api* api_;
};

using Callback = std::function<void(const Event& event, Logger& logger, Connection& sg, const Json& args)>;

namespace detail {

struct CallbackHolder {
  Callback fn;
  Json args;
  const sgeventd_host_api* api;
};

inline sgeventd_status invokeTrampoline(const sgeventd_event* event, sgeventd_logger* logger,
                                        sgeventd_connection* sg, void* userData) noexcept {
  auto* holder = static_cast<CallbackHolder*>(userData);
  const sgeventd_host_api* api = holder->api;
  try {
    Event e(event, api);
    Logger l(logger, api);
    Connection c(sg, api);
    holder->fn(e, l, c, holder->args);
    return SGEVENTD_OK;
  } catch (const Retry& retry) {
    api->event_set_error(event, retry.what());
    return SGEVENTD_RETRY;
  } catch (const CallError& error) {
    api->event_set_error(event, error.what());
    return error.transient() ? SGEVENTD_RETRY : SGEVENTD_ERROR;
  } catch (const std::exception& error) {
    api->event_set_error(event, error.what());
  } catch (...) {
    api->event_set_error(event, "unknown exception thrown by the callback");
  }
  return SGEVENTD_ERROR;
}

inline void destroyHolder(void* userData) noexcept { delete static_cast<CallbackHolder*>(userData); }

}  // namespace detail

// What registerCallbacks(reg) receives: the plugin logger, setEmails and registerCallback.
class Registrar {
 public:
  explicit Registrar(sgeventd_registrar* raw) : raw_(raw), logger_(raw->logger, raw->host) {}

  Logger& logger() { return logger_; }
  const char* pluginName() const { return raw_->plugin_name; }

  void setEmails(bool useConfigured) {
    check(raw_->set_emails(raw_, useConfigured ? SGEVENTD_EMAILS_DEFAULT : SGEVENTD_EMAILS_DISABLED, nullptr,
                           0),
          "setEmails");
  }
  void setEmails(const std::vector<std::string>& addresses) {
    std::vector<const char*> items;
    for (const auto& a : addresses) {
      items.push_back(a.c_str());
    }
    check(raw_->set_emails(raw_, SGEVENTD_EMAILS_ADDRESSES, items.data(), items.size()), "setEmails");
  }

  // matchEvents: null matches all; {"Shotgun_Task_Change": ["sg_status_list"]}; a string value is a
  // substring test. A rejected registration throws Failure, which fails loading the plugin.
  void registerCallback(const std::string& name, const std::string& scriptName, const std::string& scriptKey,
                        Callback callback, const Json& matchEvents = nullptr, Json args = nullptr,
                        bool stopOnError = true) {
    const std::string matchText = matchEvents.dump();
    const std::string argsText = args.dump();
    auto* holder = new detail::CallbackHolder{std::move(callback), std::move(args), raw_->host};
    sgeventd_callback_registration spec{};
    spec.struct_size = sizeof(spec);
    spec.name = name.c_str();
    spec.script_name = scriptName.c_str();
    spec.script_key = scriptKey.c_str();
    spec.callback = &detail::invokeTrampoline;
    spec.user_data = holder;
    spec.destroy_user_data = &detail::destroyHolder;  // the daemon owns `holder` from here, even on failure
    spec.match_events_json = matchText.c_str();
    spec.args_json = argsText.c_str();
    spec.stop_on_error = stopOnError ? 1 : 0;
    check(raw_->register_callback(raw_, &spec), "registerCallback(" + name + ")");
  }

  sgeventd_registrar* raw() { return raw_; }

 private:
  static void check(sgeventd_status status, const std::string& what) {
    if (status != SGEVENTD_OK) {
      throw Failure(what + " was refused (see the daemon log)");
    }
  }
  sgeventd_registrar* raw_;
  Logger logger_;
};

namespace detail {

template <void (*Register)(Registrar&)>
sgeventd_status registerTrampoline(sgeventd_registrar* raw) noexcept {
  try {
    Registrar reg(raw);
    Register(reg);
    return SGEVENTD_OK;
  } catch (const std::exception& error) {
    raw->host->registrar_set_error(raw, error.what());
  } catch (...) {
    raw->host->registrar_set_error(raw, "unknown exception thrown by registerCallbacks");
  }
  return SGEVENTD_ERROR;
}

}  // namespace detail
}  // namespace sgeventd::sdk

// Defines the entry symbol for a `void fn(sgeventd::sdk::Registrar&)`.
#define SGEVENTD_PLUGIN(register_fn)                                                                \
  extern "C" SGEVENTD_PLUGIN_EXPORT const sgeventd_plugin_descriptor* sgeventd_plugin_entry(void) { \
    static const sgeventd_plugin_descriptor descriptor = {                                          \
        SGEVENTD_PLUGIN_API_VERSION, sizeof(sgeventd_plugin_descriptor), #register_fn,              \
        &::sgeventd::sdk::detail::registerTrampoline<&register_fn>, nullptr};                       \
    return &descriptor;                                                                             \
  }
