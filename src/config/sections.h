#pragma once
// The sections of shotgunEventDaemon.conf, a file each (section_*.cpp): its key table and its loader. A
// new section is a new file plus one line in kSections (daemon_config.cpp).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/key_table.h"

namespace sgeventd::config {

// What a section loader reads from and reports to.
struct SectionSource {
  const IniFile& ini;
  ConfigReport& report;
  const std::filesystem::path& baseDir;  // the config file's folder
};

// [daemon]: required.
const std::vector<Key<DaemonConfig>>& daemonKeys();
void loadDaemonSection(const SectionSource& source, DaemonConfig& config);

// retry_on, in [daemon] and [plugin:NAME]: transient, any or never.
Parser retryOnParser();
RetryOn retryOnOf(const Value& value);

// The isolation keys, in [daemon] (every plugin's default) and [plugin:NAME] (one plugin's).
const std::vector<Key<IsolationSettings>>& isolationKeys();
// "2G", "512M", "64k" or plain bytes (powers of 1024), or the reason it is none of them.
Expected<std::int64_t, std::string> parseByteSize(const std::string& text);

// [shotgun]: required.
const std::vector<Key<DaemonConfig>>& shotgunKeys();
void loadShotgunSection(const SectionSource& source, DaemonConfig& config);

// [plugins]: required.
const std::vector<Key<DaemonConfig>>& pluginsKeys();
void loadPluginsSection(const SectionSource& source, DaemonConfig& config);

// [emails]: optional; with enabled false its other keys are not read at all.
const std::vector<Key<EmailSettings>>& emailsKeys();
void loadEmailsSection(const SectionSource& source, DaemonConfig& config);

// [admin]: optional; a listen address that is not loopback needs a token.
const std::vector<Key<AdminSettings>>& adminKeys();
void loadAdminSection(const SectionSource& source, DaemonConfig& config);

// [broker]: optional; an empty url (the default) leaves broker mode off.
const std::vector<Key<BrokerSettings>>& brokerKeys();
void loadBrokerSection(const SectionSource& source, DaemonConfig& config);
// The site's subject token from a site URL: its host name with '.' (and ':') replaced by '_'.
std::string siteTokenOf(const std::string& serverUrl);

// [plugin:NAME]: any number, each overriding [daemon] values for one plugin.
inline constexpr std::string_view kPluginSectionPrefix = "plugin:";
const std::vector<Key<PluginOverrides>>& pluginOverrideKeys();
void loadPluginOverrideSections(const SectionSource& source, DaemonConfig& config);

// One row of the key tables, for documentation and its tests.
struct KeyReference {
  std::string section;  // "daemon", "plugin:NAME", ...
  std::string_view name;
  bool required = false;
  std::string type;  // Parser::describe()
  std::string_view defaultValue;
  std::string_view description;
};
// Every key of every section, in the order the sections are read.
std::vector<KeyReference> keyReference();

}  // namespace sgeventd::config
