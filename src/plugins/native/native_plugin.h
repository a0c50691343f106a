#pragma once
// One loaded version of a native plugin: its library, its callbacks and their connections.
#include <sgeventd/plugin.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plugins/native/native_library.h"
#include "plugins/native/registration.h"
#include "plugins/plugin.h"

namespace sgeventd::plugins::native {

class NativePlugin final : public Plugin {
 public:
  // Runs the plugin's register_callbacks; a refusal or failure is a LoadErrorKind::Registration error.
  static Expected<PluginPtr> create(PluginId id, std::shared_ptr<NativeLibrary> library,
                                    const sgeventd_plugin_descriptor* descriptor, const HostContext& context);
  // Hands every user_data back to the plugin, calls its unload hook, then lets the library close.
  ~NativePlugin() override;
  NativePlugin(const NativePlugin&) = delete;
  NativePlugin& operator=(const NativePlugin&) = delete;

  const PluginId& id() const override { return id_; }
  PluginKind kind() const override { return PluginKind::Native; }
  const std::vector<CallbackInfo>& callbacks() const override { return infos_; }
  InvokeResult invoke(std::size_t index, const core::Event& event, Deadline deadline) override;
  std::optional<EmailSetting> emails() const override { return emails_; }

  // Where this version is mapped from (the private copy), for diagnostics and tests.
  const std::filesystem::path& libraryPath() const { return library_->privatePath(); }
  std::string description() const;

 private:
  NativePlugin(PluginId id, std::shared_ptr<NativeLibrary> library,
               const sgeventd_plugin_descriptor* descriptor, const HostContext& context);

  std::shared_ptr<NativeLibrary> library_;  // declared first: closed after everything below is gone
  const sgeventd_plugin_descriptor* descriptor_;
  PluginId id_;
  bool useSessionUuid_;
  sgeventd_logger pluginLogger_;
  std::vector<std::unique_ptr<NativeCallback>> native_;
  std::vector<CallbackInfo> infos_;
  std::optional<EmailSetting> emails_;
};

}  // namespace sgeventd::plugins::native
