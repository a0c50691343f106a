#include "plugins/python/log_routing.h"

#include <map>
#include <mutex>

namespace sgeventd::plugins::python {
namespace {

struct Route {
  core::LogFactoryPtr logs;
  SetLevelHook setLevel;
};

struct RoutingTable {
  std::mutex mutex;
  std::map<std::string, Route> byPlugin;
  Route fallback;
};

RoutingTable& table() {
  static auto* routes = new RoutingTable();  // leaked: Python may log during static destruction
  return *routes;
}

// The route of the longest plugin name owning `loggerName` ("plugin.a.b" is owned by plugin "a.b").
Route find(const std::string& loggerName) {
  auto& routes = table();
  std::lock_guard lock(routes.mutex);
  const Route* best = nullptr;
  std::size_t bestLength = 0;
  for (const auto& [plugin, route] : routes.byPlugin) {
    const std::string prefix = "plugin." + plugin;
    const bool owns = loggerName == prefix ||
                      (loggerName.size() > prefix.size() &&
                       loggerName.compare(0, prefix.size(), prefix) == 0 && loggerName[prefix.size()] == '.');
    if (owns && prefix.size() > bestLength) {
      best = &route;
      bestLength = prefix.size();
    }
  }
  return best != nullptr ? *best : routes.fallback;
}

}  // namespace

void routePlugin(const std::string& pluginName, core::LogFactoryPtr logs, SetLevelHook setLevel) {
  auto& routes = table();
  std::lock_guard lock(routes.mutex);
  Route route{std::move(logs), std::move(setLevel)};
  routes.fallback = route;
  routes.byPlugin[pluginName] = std::move(route);
}

bool logRouted(const std::string& loggerName, core::LogLevel level, const std::string& message,
               const core::SourceLocation& where) {
  const Route route = find(loggerName);
  if (route.logs == nullptr) {
    return true;  // nowhere to go yet: nothing to mirror either
  }
  auto logger = route.logs->get(loggerName);
  if (!logger->enabled(level)) {
    return false;
  }
  logger->logAt(level, message, where);
  return true;
}

void mirrorLevel(const std::string& loggerName, core::LogLevel level) {
  const Route route = find(loggerName);
  if (route.setLevel) {
    route.setLevel(loggerName, level);
  }
}

}  // namespace sgeventd::plugins::python
