#pragma once
// The command line: one subcommand per job; each lives in its own *_command.cpp file.
#include <functional>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace sgeventd::app {

// Filled while parsing; the chosen subcommand leaves its action here and run() calls it after parsing.
struct CommandLine {
  std::string argv0;
  std::optional<std::string> configPath;  // -c/--config, shared by the daemon commands
  std::function<int()> action;
};

int run(int argc, char** argv);

// Each registers its subcommand(s) on `root`.
void registerSimCommand(CLI::App& root, CommandLine& cl);          // sim_command.cpp
void registerSgCommand(CLI::App& root, CommandLine& cl);           // sg_command.cpp
void registerCheckConfigCommand(CLI::App& root, CommandLine& cl);  // check_config_command.cpp
void registerStateCommand(CLI::App& root, CommandLine& cl);        // state_command.cpp
void registerStatusCommand(CLI::App& root, CommandLine& cl);       // status_command.cpp
void registerWorkerCommand(CLI::App& root, CommandLine& cl);       // worker_command.cpp
void registerDaemonCommands(
    CLI::App& root, CommandLine& cl);  // daemon_command.cpp: foreground|start|stop|restart|plugins|demo

}  // namespace sgeventd::app
