#include "alerts/recipient_book.h"

namespace sgeventd::alerts {
namespace {

constexpr std::string_view kPluginPrefix = "plugin.";

// "plugin.a.b.cb" belongs to plugin "a.b" when there is one, else to "a": the longest known name wins,
// since plugin names may hold dots.
bool owns(std::string_view pluginPart, const std::string& name) {
  return pluginPart == name ||
         (pluginPart.size() > name.size() && pluginPart.compare(0, name.size(), name) == 0 &&
          pluginPart[name.size()] == '.');
}

}  // namespace

void RecipientBook::set(const std::string& pluginName, Recipients recipients) {
  std::lock_guard lock(mutex_);
  byPlugin_[pluginName] = std::move(recipients);
}

std::vector<std::string> RecipientBook::resolve(std::string_view logger) const {
  if (logger.substr(0, kPluginPrefix.size()) != kPluginPrefix) {
    return defaults_;
  }
  const std::string_view pluginPart = logger.substr(kPluginPrefix.size());
  std::lock_guard lock(mutex_);
  const Recipients* best = nullptr;
  std::size_t bestLength = 0;
  for (const auto& [name, recipients] : byPlugin_) {
    if (owns(pluginPart, name) && (best == nullptr || name.size() > bestLength)) {
      best = &recipients;
      bestLength = name.size();
    }
  }
  if (best == nullptr || best->mode == Recipients::Mode::Default) {
    return defaults_;
  }
  if (best->mode == Recipients::Mode::Disabled) {
    return {};
  }
  return best->addresses;
}

}  // namespace sgeventd::alerts
