#pragma once
// The engine's view of the plugin catalog.
#include "engine/engine.h"
#include "plugins/catalog.h"

namespace sgeventd::app {

class CatalogSource final : public engine::PluginSource {
 public:
  explicit CatalogSource(plugins::PluginCatalog& catalog) : catalog_(catalog) {}
  std::vector<engine::PluginSlot> refresh(bool force) override {
    return force ? catalog_.forceReload() : catalog_.refresh();
  }
  std::vector<engine::PluginSlot> reload(const std::string& key) override { return catalog_.reload(key); }

 private:
  plugins::PluginCatalog& catalog_;
};

}  // namespace sgeventd::app
