#pragma once
// The PluginLoader for native plugins (*.so) against include/sgeventd/plugin.h.
#include <filesystem>
#include <memory>
#include <mutex>

#include "plugins/native/native_library.h"
#include "plugins/plugin.h"

namespace sgeventd::plugins::native {

class NativeLoader final : public PluginLoader {
 public:
  // Private copies go to a fresh 0700 folder under `copiesParent` (default: the system temp folder),
  // created at the first load and removed when the loader and every library loaded from it are gone.
  explicit NativeLoader(std::filesystem::path copiesParent = {});

  bool handles(const std::filesystem::path& file) const override;
  Expected<PluginPtr> load(const PluginId& id, const HostContext& context) override;

 private:
  Expected<std::shared_ptr<PrivateDirectory>> copiesFolder();

  std::filesystem::path copiesParent_;
  std::mutex mutex_;
  std::shared_ptr<PrivateDirectory> copies_;
};

PluginLoaderPtr makeNativeLoader(std::filesystem::path copiesParent = {});

}  // namespace sgeventd::plugins::native
