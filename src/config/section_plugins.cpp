// [plugins]: where plugins are loaded from, and the Python environment they run in.
#include <filesystem>
#include <set>

#include "config/python_numbers.h"
#include "config/sections.h"
#include "core/plugin_path.h"

namespace sgeventd::config {

namespace fs = std::filesystem;

const std::vector<Key<DaemonConfig>>& pluginsKeys() {
  using C = DaemonConfig;
  using K = const KeyContext;
  static const std::vector<Key<DaemonConfig>> keys = {
      {"paths", Need::Required, Parser::text(), "",
       "comma-separated plugin folders, in load order; each must exist, a folder listed twice is loaded once",
       [](const Value& v, C& c, K& k) {
         const auto entries = splitList(v.text);
         if (entries.empty()) {
           k.error("lists no plugin folder");
         }
         std::set<std::string> seen;
         for (const auto& written : entries) {
           // A trailing slash must not make a new state key (see core/plugin_path.h).
           const std::string entry = core::normalisePluginPath(written);
           const std::string resolved = k.resolve(entry);
           std::error_code ec;
           if (!fs::exists(resolved, ec)) {
             k.error("plugin folder " + inQuotes(resolved) + " does not exist");
           } else if (!fs::is_directory(resolved, ec)) {
             k.error("plugin folder " + inQuotes(resolved) + " is not a folder");
           } else if (!seen.insert(resolved).second) {
             k.warning("plugin folder " + inQuotes(resolved) + " is listed twice; it is loaded once");
             continue;
           }
           c.pluginPaths.push_back(entry);
           c.resolvedPluginPaths.push_back(resolved);
         }
       }},
      {"python_path", Need::Optional, Parser::text(), "",
       "comma-separated extra sys.path entries for Python plugins",
       [](const Value& v, C& c, K& k) {
         for (const auto& entry : splitList(v.text)) {
           c.pythonPath.push_back(k.resolve(entry));
           std::error_code ec;
           if (!fs::exists(c.pythonPath.back(), ec)) {
             k.warning(inQuotes(c.pythonPath.back()) + " does not exist");
           }
         }
       }},
      {"python_venv", Need::Optional, Parser::nonEmptyText(), "",
       "a virtual environment folder for Python plugins",
       [](const Value& v, C& c, K& k) {
         c.pythonVenv = k.resolve(std::string(stripPython(v.text)));
         std::error_code ec;
         if (!fs::is_directory(*c.pythonVenv, ec)) {
           k.error(inQuotes(*c.pythonVenv) + " is not a folder");
         }
       }},
  };
  return keys;
}

void loadPluginsSection(const SectionSource& source, DaemonConfig& c) {
  SectionReader in(source.ini, source.report, source.baseDir, "plugins", c);
  if (!in.present()) {
    in.error(0, "", "section [plugins] is missing");
    return;
  }
  in.readAll(pluginsKeys(), c);
  in.warnUnknownKeys(pluginsKeys());
}

}  // namespace sgeventd::config
