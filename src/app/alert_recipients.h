#pragma once
// Keeps the e-mail recipients in step with what the loaded plugins asked for (reg.setEmails).
#include <vector>

#include "alerts/recipient_book.h"
#include "plugins/catalog.h"

namespace sgeventd::app {

alerts::Recipients toRecipients(const plugins::EmailSetting& setting);

// Called with every set the catalog hands the engine, before any of its callbacks runs. A plugin that
// did not call setEmails keeps what an earlier version set (as the original's handler stayed).
void noteRecipients(alerts::RecipientBook& book, const std::vector<plugins::PluginSlot>& slots);

}  // namespace sgeventd::app
