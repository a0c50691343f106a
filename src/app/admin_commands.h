#pragma once
// The command line's online commands (admin_commands.cpp), and the online halves of `status` and
// `state set`, which fall back to the state database when no daemon answers.
#include <cstdint>
#include <optional>
#include <string>

#include "app/cli.h"
#include "config/daemon_config.h"

namespace CLI {
class App;
}

namespace sgeventd::app {

// `plugins enable|disable|reload NAME` (under the existing `plugins`) and `failures list|show|replay`.
void registerAdminCommands(CLI::App& root, CommandLine& cl);

// The running daemon's plugins as a table, from GET /api/v1/status; nullopt when no daemon answers.
std::optional<std::string> onlineStatus(const config::DaemonConfig& c);

// `state set` through the running daemon: the line to print, or an error; nullopt when no daemon
// answers (then the state database is changed directly).
std::optional<Expected<std::string>> setCursorOnline(const config::DaemonConfig& c, const std::string& plugin,
                                                     const std::optional<std::string>& collection,
                                                     std::int64_t cursor);

}  // namespace sgeventd::app
