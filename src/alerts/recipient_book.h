#pragma once
// Who gets a logger's alerts: the config's `to`, or what the plugin asked for with reg.setEmails (the
// spec's documented meaning: True = the default recipients, False = none, addresses = those). Written by
// the app when the catalog (re)loads plugins, read by the handler on any logging thread.
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sgeventd::alerts {

struct Recipients {
  enum class Mode { Default, Disabled, Addresses };
  Mode mode = Mode::Default;
  std::vector<std::string> addresses;
};

class RecipientBook {
 public:
  explicit RecipientBook(std::vector<std::string> defaults) : defaults_(std::move(defaults)) {}

  // What plugin `name` asked for. As in the original, a setting lasts until the plugin sets another one,
  // so a reload that does not call setEmails keeps it: call this only when the plugin did.
  void set(const std::string& pluginName, Recipients recipients);
  // The addresses for records of `logger` ("engine", "plugin.<name>[.<callback>]"); empty: not mailed.
  std::vector<std::string> resolve(std::string_view logger) const;

 private:
  const std::vector<std::string> defaults_;
  mutable std::mutex mutex_;
  std::map<std::string, Recipients, std::less<>> byPlugin_;
};

}  // namespace sgeventd::alerts
