#include "plugins/native/native_plugin.h"

namespace sgeventd::plugins::native {
namespace {

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += (out.empty() ? "" : "\n") + line;
  }
  return out;
}

}  // namespace

NativePlugin::NativePlugin(PluginId id, std::shared_ptr<NativeLibrary> library,
                           const sgeventd_plugin_descriptor* descriptor, const HostContext& context)
    : library_(std::move(library)),
      descriptor_(descriptor),
      id_(std::move(id)),
      useSessionUuid_(context.useSessionUuid) {
  pluginLogger_.logger = context.logs->get("plugin." + id_.name);
}

NativePlugin::~NativePlugin() {
  native_.clear();  // user data (and any vtable inside it) goes back to the plugin while it is mapped
  if (descriptor_->unload != nullptr) {
    descriptor_->unload();
  }
}

Expected<PluginPtr> NativePlugin::create(PluginId id, std::shared_ptr<NativeLibrary> library,
                                         const sgeventd_plugin_descriptor* descriptor,
                                         const HostContext& context) {
  std::shared_ptr<NativePlugin> plugin(
      new NativePlugin(std::move(id), std::move(library), descriptor, context));
  RegistrationState state;
  state.id = &plugin->id_;
  state.context = &context;
  state.apiVersion = descriptor->api_version;
  sgeventd_registrar reg = makeRegistrar(state, plugin->pluginLogger_, plugin->id_.name.c_str());

  sgeventd_status status = SGEVENTD_ERROR;
  try {
    status = descriptor->register_callbacks(&reg);
  } catch (...) {
    // A plugin that lets an exception cross the C boundary: unwinding happened to work, report it.
    state.pluginError = "an exception escaped register_callbacks (plugins must not throw across the ABI)";
  }
  // Whatever was registered belongs to the plugin object now, so a failure below still frees it in order.
  plugin->native_ = std::move(state.callbacks);
  if (status != SGEVENTD_OK || !state.refusals.empty()) {
    std::vector<std::string> reasons;
    if (status != SGEVENTD_OK) {
      reasons.push_back("registerCallbacks returned an error: " +
                        state.pluginError.value_or(std::string("(no message)")));
    }
    reasons.insert(reasons.end(), state.refusals.begin(), state.refusals.end());
    return fail(joinLines(reasons), static_cast<int>(LoadErrorKind::Registration));
  }
  for (const auto& callback : plugin->native_) {
    plugin->infos_.push_back(callback->info);
  }
  plugin->emails_ = std::move(state.emails);
  return PluginPtr(std::move(plugin));
}

InvokeResult NativePlugin::invoke(std::size_t index, const core::Event& event, Deadline) {
  if (index >= native_.size()) {
    return InvokeResult::error("no callback #" + std::to_string(index) + " in plugin " + id_.name);
  }
  NativeCallback& callback = *native_[index];
  if (useSessionUuid_) {
    if (callback.connection.client != nullptr) {
      hostApi()->set_session_uuid(&callback.connection,
                                  event.sessionUuid ? event.sessionUuid->c_str() : nullptr);
    }
  }
  sgeventd_event handle;
  handle.event = &event;
  handle.argsJson = &callback.argsJson;
  sgeventd_status status = SGEVENTD_ERROR;
  try {
    status = callback.fn(&handle, &callback.logger, &callback.connection, callback.userData);
  } catch (const std::exception& error) {
    handle.error =
        std::string("an exception escaped the callback (plugins must not throw across the ABI): ") +
        error.what();
    handle.errorSet = true;
  } catch (...) {
    handle.error = "an exception escaped the callback (plugins must not throw across the ABI)";
    handle.errorSet = true;
  }
  // Strings handed out during the call are only valid until it returns.
  callback.connection.result.clear();
  callback.connection.error.clear();
  if (status == SGEVENTD_OK) {
    return {};
  }
  // RETRY exists since version 2; any other value (or RETRY from a version-1 build) is an error.
  const bool retry = status == SGEVENTD_RETRY && descriptor_->api_version >= 2;
  std::string message = handle.errorSet ? handle.error
                        : retry         ? std::string("the callback asked for a retry")
                                        : std::string("the callback returned an error");
  try {
    if (retry) {
      // The daemon retries it, so no CRITICAL (and no email) per attempt; see InvokeResult.
      callback.logger.logger->warning(
          "A transient error occurred processing an event; the daemon retries these as its retry policy "
          "allows.\n\n" +
          message);
    } else {
      callback.logger.logger->critical("An error occured processing an event.\n\n" + message);
    }
  } catch (...) {
    // The outcome carries the message even if the log sink failed.
  }
  return InvokeResult::failure(retry ? InvokeStatus::Retry : InvokeStatus::Error, std::move(message));
}

std::string NativePlugin::description() const {
  return descriptor_->description != nullptr ? descriptor_->description : "";
}

}  // namespace sgeventd::plugins::native
