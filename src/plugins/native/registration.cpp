#include "plugins/native/registration.h"

#include <cstddef>

#include "plugins/native/match_spec_json.h"
#include "shotgrid/client.h"

namespace sgeventd::plugins::native {
namespace {

// The v1 registration ends with stop_on_error; a plugin passing less is built against a broken header.
constexpr std::size_t kRegistrationV1Size =
    offsetof(sgeventd_callback_registration, stop_on_error) + sizeof(int);

RegistrationState& stateOf(sgeventd_registrar* reg) {
  return *static_cast<RegistrationState*>(reg->host_private);
}

sgeventd_status refuse(RegistrationState& state, std::string reason) {
  state.refusals.push_back(std::move(reason));
  return SGEVENTD_ERROR;
}

// Builds the callback's own connection as the original does in registerCallback: one per callback.
Expected<std::unique_ptr<shotgrid::Client>> makeConnection(const HostContext& context,
                                                           const std::string& scriptName,
                                                           const std::string& scriptKey) {
  if (!context.makeClient) {
    return std::unique_ptr<shotgrid::Client>();  // a host without ShotGrid access (tests, dry runs)
  }
  try {
    auto client = context.makeClient(scriptName, scriptKey);
    if (client == nullptr) {
      return fail("could not create the ShotGrid connection for script '" + scriptName + "'");
    }
    return client;
  } catch (const std::exception& error) {
    return fail("could not create the ShotGrid connection for script '" + scriptName + "': " + error.what());
  }
}

sgeventd_status registerCallback(sgeventd_registrar* reg, const sgeventd_callback_registration* spec) {
  RegistrationState& state = stateOf(reg);
  try {
    if (spec == nullptr) {
      return refuse(state, "registerCallback: the registration is NULL");
    }
    // From here on the daemon owns user_data, whatever happens.
    auto callback = std::make_unique<NativeCallback>();
    if (spec->struct_size >= kRegistrationV1Size) {
      callback->userData = spec->user_data;
      callback->destroyUserData = spec->destroy_user_data;
    }
    if (spec->struct_size < kRegistrationV1Size) {
      return refuse(state, "registerCallback: struct_size " + std::to_string(spec->struct_size) +
                               " is smaller than this daemon's " + std::to_string(kRegistrationV1Size));
    }
    const std::string name = spec->name != nullptr ? spec->name : "";
    if (name.empty()) {
      return refuse(state, "registerCallback: the callback has no name");
    }
    if (spec->callback == nullptr) {
      return refuse(state, "registerCallback(" + name +
                               "): the callback must be a function (the callback pointer is NULL)");
    }
    auto match = matchSpecFromJson(
        std::string_view(spec->match_events_json != nullptr ? spec->match_events_json : "null"));
    if (!match) {
      return refuse(state, "registerCallback(" + name + "): " + match.error().message);
    }
    if (spec->args_json != nullptr) {
      auto args = nlohmann::json::parse(spec->args_json, nullptr, false);
      if (args.is_discarded()) {
        return refuse(state, "registerCallback(" + name + "): args_json is not valid JSON");
      }
      callback->argsJson = args.dump();
    }
    auto client = makeConnection(*state.context, spec->script_name != nullptr ? spec->script_name : "",
                                 spec->script_key != nullptr ? spec->script_key : "");
    if (!client) {
      return refuse(state, "registerCallback(" + name + "): " + client.error().message);
    }
    callback->info = CallbackInfo{name, std::move(*match), spec->stop_on_error != 0};
    callback->fn = spec->callback;
    callback->logger.logger = state.context->logs->get("plugin." + state.id->name + "." + name);
    callback->connection.client = std::move(*client);
    callback->connection.apiVersion = state.apiVersion;
    state.callbacks.push_back(std::move(callback));
    return SGEVENTD_OK;
  } catch (const std::exception& error) {
    return refuse(state, std::string("registerCallback failed: ") + error.what());
  }
}

sgeventd_status setEmails(sgeventd_registrar* reg, int mode, const char* const* emails, size_t count) {
  RegistrationState& state = stateOf(reg);
  try {
    EmailSetting setting;
    switch (mode) {
      case SGEVENTD_EMAILS_DISABLED:
        setting.mode = EmailSetting::Mode::Disabled;
        break;
      case SGEVENTD_EMAILS_DEFAULT:
        setting.mode = EmailSetting::Mode::Default;
        break;
      case SGEVENTD_EMAILS_ADDRESSES:
        setting.mode = EmailSetting::Mode::Addresses;
        for (size_t i = 0; i < count; ++i) {
          if (emails == nullptr || emails[i] == nullptr) {
            return refuse(state, "setEmails: address #" + std::to_string(i) + " is NULL");
          }
          setting.addresses.emplace_back(emails[i]);
        }
        break;
      default:
        return refuse(state, "setEmails: unknown mode " + std::to_string(mode));
    }
    state.emails = std::move(setting);
    return SGEVENTD_OK;
  } catch (const std::exception& error) {
    return refuse(state, std::string("setEmails failed: ") + error.what());
  }
}

}  // namespace

NativeCallback::~NativeCallback() {
  if (destroyUserData != nullptr) {
    destroyUserData(userData);
  }
}

void registrarSetError(sgeventd_registrar* reg, const char* message) {
  try {
    stateOf(reg).pluginError = message != nullptr ? message : "";
  } catch (...) {
    // Out of memory: register_callbacks' ERROR status still fails the load.
  }
}

sgeventd_registrar makeRegistrar(RegistrationState& state, sgeventd_logger& pluginLogger,
                                 const char* pluginName) {
  sgeventd_registrar reg{};
  reg.struct_size = sizeof(reg);
  reg.host = hostApi();
  reg.logger = &pluginLogger;
  reg.plugin_name = pluginName;
  reg.register_callback = &registerCallback;
  reg.set_emails = &setEmails;
  reg.host_private = &state;
  return reg;
}

}  // namespace sgeventd::plugins::native
