// [plugin:NAME]: the [daemon] values one plugin uses differently. NAME is the plugin's file name without
// .py or .so; retry keys a section does not set keep the [daemon] values.
#include "config/ini_file.h"
#include "config/sections.h"

namespace sgeventd::config {

namespace {

// The daemon's retry settings, the first time a section changes one of them.
RetrySettings& retryOf(PluginOverrides& o, const KeyContext& k) {
  if (!o.retry) {
    o.retry = k.config().retry;
  }
  return *o.retry;
}

}  // namespace

const std::vector<Key<PluginOverrides>>& pluginOverrideKeys() {
  using O = PluginOverrides;
  using K = const KeyContext;
  static const std::vector<Key<PluginOverrides>> keys = {
      {"retry_attempts", Need::Optional, Parser::integer(1, kIntMax), "",
       "[daemon] retry_attempts for this plugin",
       [](const Value& v, O& o, K& k) { retryOf(o, k).attempts = static_cast<int>(v.integer); }},
      {"retry_backoff", Need::Optional, Parser::seconds(0, kMaxSeconds), "",
       "[daemon] retry_backoff for this plugin",
       [](const Value& v, O& o, K& k) { retryOf(o, k).backoffBase = v.millis(); }},
      {"retry_backoff_max", Need::Optional, Parser::seconds(0, kMaxSeconds), "",
       "[daemon] retry_backoff_max for this plugin",
       [](const Value& v, O& o, K& k) { retryOf(o, k).backoffCap = v.millis(); }},
      {"retry_on", Need::Optional, retryOnParser(), "", "[daemon] retry_on for this plugin",
       [](const Value& v, O& o, K& k) { retryOf(o, k).retryOn = retryOnOf(v); }},
      {"reactivate_after", Need::Optional, Parser::integer(0, kIntMax), "",
       "[daemon] reactivate_after for this plugin",
       [](const Value& v, O& o, K&) { o.reactivateAfter = std::chrono::seconds(v.integer); }},
      {"queue_size", Need::Optional,
       Parser::misplaced("is daemon-wide (how far the fetcher reads ahead of the fastest plugin) and has no "
                         "per-plugin meaning; set it in [daemon] (ignored)"),
       "", "not a per-plugin setting: a warning", nullptr},
      {"stop_on_error", Need::Optional, Parser::boolean(), "",
       "overrides the stopOnError every callback of the plugin registered with",
       [](const Value& v, O& o, K&) { o.stopOnError = v.boolean; }},
  };
  return keys;
}

void loadPluginOverrideSections(const SectionSource& source, DaemonConfig& c) {
  for (const auto& section : source.ini.sections()) {
    if (section.rfind(kPluginSectionPrefix, 0) != 0) {
      continue;
    }
    SectionReader in(source.ini, source.report, source.baseDir, section, c);
    const std::string name = section.substr(kPluginSectionPrefix.size());
    if (name.empty()) {
      in.error(0, "", "section [" + section + "] names no plugin (write [plugin:NAME])");
      continue;
    }
    PluginOverrides o;
    in.readAll(pluginOverrideKeys(), o);
    for (const auto& key : isolationKeys()) {
      if (in.has(key.name)) {
        IsolationSettings isolation = c.isolation;  // the keys the section lacks keep the [daemon] values
        in.readAll(isolationKeys(), isolation);
        o.isolation = isolation;
        break;
      }
    }
    in.warnUnknownKeys(pluginOverrideKeys(), isolationKeys());
    c.pluginOverrides[name] = o;
  }
}

}  // namespace sgeventd::config
