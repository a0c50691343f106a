#pragma once
// registerCallbacks(reg) on the daemon side: the registrar's C functions and what they fill in.
#include <sgeventd/plugin.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plugins/native/handles.h"
#include "plugins/plugin.h"

namespace sgeventd::plugins::native {

// One registered callback. Owns the plugin's user data: its destructor hands it back to the plugin,
// which must happen before the library is closed.
struct NativeCallback {
  NativeCallback() = default;
  ~NativeCallback();
  NativeCallback(const NativeCallback&) = delete;
  NativeCallback& operator=(const NativeCallback&) = delete;

  CallbackInfo info;
  sgeventd_callback_fn fn = nullptr;
  void* userData = nullptr;
  void (*destroyUserData)(void*) = nullptr;
  std::string argsJson = "null";
  sgeventd_logger logger;
  sgeventd_connection connection;
};

// What one run of register_callbacks collects; sgeventd_registrar::host_private points here.
struct RegistrationState {
  const PluginId* id = nullptr;
  const HostContext* context = nullptr;
  std::uint32_t apiVersion = SGEVENTD_PLUGIN_API_VERSION;  // the descriptor's: given to each connection
  std::vector<std::unique_ptr<NativeCallback>> callbacks;
  std::optional<EmailSetting> emails;
  std::vector<std::string> refusals;       // register_callback / set_emails calls the daemon refused
  std::optional<std::string> pluginError;  // registrar_set_error
};

// Fills a registrar whose functions write into `state`; `pluginLogger` must outlive the registration.
sgeventd_registrar makeRegistrar(RegistrationState& state, sgeventd_logger& pluginLogger,
                                 const char* pluginName);

void registrarSetError(sgeventd_registrar* reg, const char* message);

}  // namespace sgeventd::plugins::native
