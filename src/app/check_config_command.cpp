// `sgeventd [-c CONF] check-config [CONF]`: validates a config file and lists every problem found.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/cli.h"
#include "config/daemon_config.h"

namespace sgeventd::app {

namespace {

int checkConfig(const std::optional<std::string>& path, const CommandLine& cl) {
  const config::Environment env = config::processEnvironment();
  auto located = path ? config::locateConfig(path, env, cl.argv0, "given to check-config")
                      : config::locateConfig(cl.configPath, env, cl.argv0);
  if (!located) {
    std::fprintf(stderr, "%s\n", located.error().c_str());
    return 1;
  }
  const config::ConfigReport report = config::checkDaemonConfig(*located, env);
  for (const auto& warning : report.warnings) {
    config::ConfigError shown = warning;
    shown.message = "warning: " + shown.message;
    std::fprintf(stderr, "%s\n", shown.describe().c_str());
  }
  for (const auto& error : report.errors) {
    std::fprintf(stderr, "%s\n", error.describe().c_str());
  }
  const auto plural = [](std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  if (!report.errors.empty()) {
    std::fprintf(stderr, "%s: invalid (%s, %s)\n", located->c_str(),
                 plural(report.errors.size(), "error").c_str(),
                 plural(report.warnings.size(), "warning").c_str());
    return 1;
  }
  std::printf("%s: OK (%s)\n", located->c_str(), plural(report.warnings.size(), "warning").c_str());
  return 0;
}

}  // namespace

void registerCheckConfigCommand(CLI::App& root, CommandLine& cl) {
  auto* command =
      root.add_subcommand("check-config", "Validate a shotgunEventDaemon.conf and list every problem");
  auto path = std::make_shared<std::string>();
  command->add_option("config", *path, "the file to check (default: -c, $SGEVENTD_CONFIG, the search path)");
  command->callback([path, &cl] {
    cl.action = [path, &cl] { return checkConfig(path->empty() ? std::nullopt : std::optional(*path), cl); };
  });
}

}  // namespace sgeventd::app
