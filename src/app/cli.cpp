#include "app/cli.h"

#include "app/admin_commands.h"

#include <curl/curl.h>
#include <CLI/CLI.hpp>

namespace sgeventd::app {

int run(int argc, char** argv) {
  // libcurl's global state must be set up before any thread exists.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  // The version is the CMake project's (SGEVENTD_VERSION), the one the package and the log's start line show.
  CLI::App root{"sgeventd " SGEVENTD_VERSION ": a ShotGrid / Flow Production Tracking event daemon",
                "sgeventd"};
  root.set_version_flag("--version", "sgeventd " SGEVENTD_VERSION, "Print the version and exit");
  root.require_subcommand(1);
  CommandLine cl;
  cl.argv0 = argc > 0 ? argv[0] : "sgeventd";
  root.add_option("-c,--config", cl.configPath, "shotgunEventDaemon.conf to use");
  registerDaemonCommands(root, cl);
  registerCheckConfigCommand(root, cl);
  registerStateCommand(root, cl);
  registerStatusCommand(root, cl);
  registerAdminCommands(root, cl);  // after the daemon commands: it adds to `plugins`
  registerSimCommand(root, cl);
  registerSgCommand(root, cl);
  registerWorkerCommand(root, cl);
  int code = 0;
  try {
    root.parse(argc, argv);
    code = cl.action ? cl.action() : 0;
  } catch (const CLI::ParseError& e) {
    code = root.exit(e);
  }
  curl_global_cleanup();
  return code;
}

}  // namespace sgeventd::app
