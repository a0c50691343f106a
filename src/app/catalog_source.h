#pragma once
// The engine's view of the plugin catalog.
#include "alerts/recipient_book.h"
#include "app/alert_recipients.h"
#include "engine/engine.h"
#include "plugins/catalog.h"

namespace sgeventd::app {

class CatalogSource final : public engine::PluginSource {
 public:
  // `recipients`: the e-mail alerts' book, told each plugin's setEmails; null when e-mail is off.
  explicit CatalogSource(plugins::PluginCatalog& catalog, alerts::RecipientBook* recipients = nullptr)
      : catalog_(catalog), recipients_(recipients) {}
  std::vector<engine::PluginSlot> refresh(bool force) override {
    return noted(force ? catalog_.forceReload() : catalog_.refresh());
  }
  std::vector<engine::PluginSlot> reload(const std::string& key) override {
    return noted(catalog_.reload(key));
  }

 private:
  std::vector<engine::PluginSlot> noted(std::vector<engine::PluginSlot> slots) {
    if (recipients_ != nullptr) {
      noteRecipients(*recipients_, slots);
    }
    return slots;
  }

  plugins::PluginCatalog& catalog_;
  alerts::RecipientBook* recipients_;
};

}  // namespace sgeventd::app
