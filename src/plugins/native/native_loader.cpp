#include "plugins/native/native_loader.h"

#include <sgeventd/plugin.h>

#include <cstdint>
#include <string>
#include <system_error>

#include "plugins/native/native_plugin.h"

namespace sgeventd::plugins::native {
namespace {

constexpr int kLoad = static_cast<int>(LoadErrorKind::Load);
constexpr int kMissingEntry = static_cast<int>(LoadErrorKind::MissingEntry);

// Every version since 1 only added meanings (SGEVENTD_RETRY) to the same structures, so a plugin built
// for any of them loads; the struct_size checks guard the layout.
constexpr std::uint32_t kOldestApiVersion = 1;

std::string supportedVersions() {
  constexpr std::uint32_t newest = SGEVENTD_PLUGIN_API_VERSION;
  if (kOldestApiVersion == newest) {
    return "version " + std::to_string(newest);
  }
  return "versions " + std::to_string(kOldestApiVersion) +
         (newest == kOldestApiVersion + 1 ? " and " : " to ") + std::to_string(newest);
}

}  // namespace

NativeLoader::NativeLoader(std::filesystem::path copiesParent) : copiesParent_(std::move(copiesParent)) {}

bool NativeLoader::handles(const std::filesystem::path& file) const { return file.extension() == ".so"; }

Expected<std::shared_ptr<PrivateDirectory>> NativeLoader::copiesFolder() {
  std::lock_guard lock(mutex_);
  if (copies_ == nullptr) {
    std::error_code error;
    auto parent = copiesParent_.empty() ? std::filesystem::temp_directory_path(error) : copiesParent_;
    if (error) {
      return fail("no temporary folder for plugin copies: " + error.message(), kLoad);
    }
    auto created = PrivateDirectory::create(parent);
    if (!created) {
      return fail(created.error().message, kLoad);
    }
    copies_ = std::move(*created);
  }
  return copies_;
}

Expected<PluginPtr> NativeLoader::load(const PluginId& id, const HostContext& context) {
  if (context.logs == nullptr) {
    return fail("the host context has no log factory", kLoad);
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(id.path, error)) {
    return fail("The path to the plugin is not a valid file - " + id.path.string() + ".", kLoad);
  }
  auto folder = copiesFolder();
  if (!folder) {
    return tl::unexpected(folder.error());
  }
  auto library = NativeLibrary::open(id.path, *folder);
  if (!library) {
    return fail(library.error().message, kLoad);
  }
  std::string symbolError;
  auto entry =
      reinterpret_cast<sgeventd_plugin_entry_fn>((*library)->symbol(SGEVENTD_PLUGIN_ENTRY_NAME, symbolError));
  if (entry == nullptr) {
    return fail("the library does not export " SGEVENTD_PLUGIN_ENTRY_NAME
                " (is it an sgeventd plugin? define it with SGEVENTD_PLUGIN(...)): " +
                    symbolError,
                kMissingEntry);
  }
  const sgeventd_plugin_descriptor* descriptor = nullptr;
  try {
    descriptor = entry();
  } catch (...) {
    return fail(SGEVENTD_PLUGIN_ENTRY_NAME "() threw an exception", kLoad);
  }
  if (descriptor == nullptr) {
    return fail(SGEVENTD_PLUGIN_ENTRY_NAME "() returned no descriptor", kLoad);
  }
  if (descriptor->api_version < kOldestApiVersion || descriptor->api_version > SGEVENTD_PLUGIN_API_VERSION) {
    return fail("the plugin was built for sgeventd plugin API version " +
                    std::to_string(descriptor->api_version) + "; this daemon supports " +
                    supportedVersions() + ". Rebuild it against this daemon's include/sgeventd/plugin.h.",
                kLoad);
  }
  if (descriptor->struct_size < sizeof(sgeventd_plugin_descriptor)) {
    return fail("the plugin descriptor is " + std::to_string(descriptor->struct_size) +
                    " bytes; API version " + std::to_string(descriptor->api_version) + " needs at least " +
                    std::to_string(sizeof(sgeventd_plugin_descriptor)) + " (a corrupt or mismatched build)",
                kLoad);
  }
  if (descriptor->register_callbacks == nullptr) {
    return fail("the plugin descriptor has no register_callbacks function", kMissingEntry);
  }
  return NativePlugin::create(id, std::move(*library), descriptor, context);
}

PluginLoaderPtr makeNativeLoader(std::filesystem::path copiesParent) {
  return std::make_unique<NativeLoader>(std::move(copiesParent));
}

}  // namespace sgeventd::plugins::native
