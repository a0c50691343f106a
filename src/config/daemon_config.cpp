#include "config/daemon_config.h"

#include <unistd.h>

#include <filesystem>
#include <utility>

#include "config/ini_file.h"
#include "config/sections.h"

namespace sgeventd::config {

namespace fs = std::filesystem;

namespace {

// In this order: [plugin:NAME] inherits what [daemon] set, so [daemon] comes first; errors are reported
// section by section in this order.
using SectionLoader = void (*)(const SectionSource&, DaemonConfig&);
constexpr SectionLoader kSections[] = {
    loadDaemonSection, loadShotgunSection, loadPluginsSection,         loadEmailsSection,
    loadAdminSection,  loadBrokerSection,  loadPluginOverrideSections,
};

template <class Target>
void addReference(std::vector<KeyReference>& out, const std::string& section,
                  const std::vector<Key<Target>>& keys) {
  for (const auto& key : keys) {
    out.push_back(KeyReference{section, key.name, key.need == Need::Required, key.parser.describe(),
                               key.defaultValue, key.description});
  }
}

}  // namespace

std::vector<KeyReference> keyReference() {
  std::vector<KeyReference> out;
  addReference(out, "daemon", daemonKeys());
  addReference(out, "daemon", isolationKeys());
  addReference(out, "shotgun", shotgunKeys());
  addReference(out, "plugins", pluginsKeys());
  addReference(out, "emails", emailsKeys());
  addReference(out, "admin", adminKeys());
  addReference(out, "broker", brokerKeys());
  addReference(out, std::string(kPluginSectionPrefix) + "NAME", pluginOverrideKeys());
  addReference(out, std::string(kPluginSectionPrefix) + "NAME", isolationKeys());
  return out;
}

Environment processEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos && eq > 0) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return env;
}

ConfigReport checkDaemonConfig(const std::string& path, const Environment& env) {
  ConfigReport report;
  std::error_code ec;
  if (fs::exists(path, ec) && fs::is_directory(path, ec)) {
    report.errors.push_back(ConfigError{path, 0, "", "is a folder, not a config file"});
    return report;
  }
  auto ini = IniFile::read(path, env);
  if (!ini) {
    for (const auto& e : ini.error()) {
      report.errors.push_back(e.error);
    }
    return report;
  }
  DaemonConfig config;
  const fs::path absolute = fs::absolute(path, ec).lexically_normal();
  config.sourceFile = absolute.string();
  const fs::path baseDir = absolute.parent_path();
  const SectionSource source{*ini, report, baseDir};
  for (const SectionLoader load : kSections) {
    load(source, config);
  }
  if (report.errors.empty()) {
    config.warnings = report.warnings;
    report.config = std::move(config);
  }
  return report;
}

Expected<DaemonConfig, std::vector<ConfigError>> loadDaemonConfig(const std::string& path,
                                                                  const Environment& env) {
  ConfigReport report = checkDaemonConfig(path, env);
  if (!report.config) {
    return unexpected(std::move(report.errors));
  }
  return std::move(*report.config);
}

}  // namespace sgeventd::config
