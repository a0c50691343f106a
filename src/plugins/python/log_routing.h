#pragma once
// Where records of Python loggers go: the daemon LogFactory of the plugin that owns the logger name
// ("plugin.<name>[.<callback>]"), or the most recently registered factory for any other name. Python
// logger names are process-wide while factories belong to loaders, hence this small routing table.
#include <functional>
#include <string>

#include "core/log.h"

namespace sgeventd::plugins::python {

using SetLevelHook = std::function<void(const std::string& loggerName, core::LogLevel level)>;

void routePlugin(const std::string& pluginName, core::LogFactoryPtr logs, SetLevelHook setLevel);

// Logs through the routed factory; false when the daemon's logger would not accept `level`.
// `where` is the Python record's pathname, funcName and lineno.
bool logRouted(const std::string& loggerName, core::LogLevel level, const std::string& message,
               const core::SourceLocation& where = {});

// Lowers the daemon logger's level to what the Python logger allows (logger.setLevel in a plugin).
void mirrorLevel(const std::string& loggerName, core::LogLevel level);

}  // namespace sgeventd::plugins::python
