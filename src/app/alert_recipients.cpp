#include "app/alert_recipients.h"

namespace sgeventd::app {

alerts::Recipients toRecipients(const plugins::EmailSetting& setting) {
  alerts::Recipients out;
  switch (setting.mode) {
    case plugins::EmailSetting::Mode::Default:
      out.mode = alerts::Recipients::Mode::Default;
      break;
    case plugins::EmailSetting::Mode::Disabled:
      out.mode = alerts::Recipients::Mode::Disabled;
      break;
    case plugins::EmailSetting::Mode::Addresses:
      out.mode = alerts::Recipients::Mode::Addresses;
      out.addresses = setting.addresses;
      break;
  }
  return out;
}

void noteRecipients(alerts::RecipientBook& book, const std::vector<plugins::PluginSlot>& slots) {
  for (const auto& slot : slots) {
    if (slot.plugin == nullptr) {
      continue;
    }
    if (auto emails = slot.plugin->emails()) {
      book.set(slot.id.name, toRecipients(*emails));
    }
  }
}

}  // namespace sgeventd::app
