// [shotgun]: the site and the script the daemon reads the event log with, and how it connects.
#include <cctype>
#include <filesystem>

#include "config/python_numbers.h"
#include "config/sections.h"

namespace sgeventd::config {

namespace fs = std::filesystem;

const std::vector<Key<DaemonConfig>>& shotgunKeys() {
  using C = DaemonConfig;
  using K = const KeyContext;
  static const std::vector<Key<DaemonConfig>> keys = {
      {"server", Need::Required, Parser::nonEmptyText(), "", "site URL (http:// or https://)",
       [](const Value& v, C& c, K& k) {
         const std::string url(stripPython(v.text));
         std::string scheme = url.substr(0, 8);
         for (char& ch : scheme) {
           ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
         }
         if (scheme.rfind("http://", 0) != 0 && scheme.rfind("https://", 0) != 0) {
           k.error(inQuotes(url) + " is not an http:// or https:// URL");
         }
         c.server = url;
       }},
      {"name", Need::Required, Parser::nonEmptyText(), "", "script name the daemon reads the event log with",
       [](const Value& v, C& c, K&) { c.scriptName = v.text; }},
      {"key", Need::Required, Parser::nonEmptyText(), "", "that script's key",
       [](const Value& v, C& c, K&) { c.scriptKey = v.text; }},
      {"proxy_server", Need::Optional, Parser::text(), "", "proxy for every connection; blank means none",
       [](const Value& v, C& c, K&) {
         const std::string proxy(stripPython(v.text));
         if (!proxy.empty()) {
           c.proxyServer = proxy;
         }
       }},
      {"use_session_uuid", Need::Required, Parser::boolean(), "",
       "set each event's session uuid on the callback's connection",
       [](const Value& v, C& c, K&) { c.useSessionUuid = v.boolean; }},
      {"ca_certs", Need::Optional, Parser::nonEmptyText(), "",
       "CA bundle to trust instead of the system's (must exist)",
       [](const Value& v, C& c, K& k) {
         c.caCerts = k.resolve(v.text);
         std::error_code ec;
         if (!fs::exists(*c.caCerts, ec)) {
           k.error(inQuotes(*c.caCerts) + " does not exist");
         }
       }},
      {"verify_tls", Need::Optional, Parser::boolean(), "true", "false turns certificate checks off",
       [](const Value& v, C& c, K& k) {
         c.verifyTls = v.boolean;
         if (!v.boolean) {
           k.warning("TLS certificates are not verified");
         }
       }},
      {"connect_timeout", Need::Optional, Parser::seconds(0.001, kMaxSeconds), "10",
       "seconds to wait for a connection", [](const Value& v, C& c, K&) { c.connectTimeout = v.millis(); }},
      {"request_timeout", Need::Optional, Parser::seconds(0.001, kMaxSeconds), "60",
       "seconds to wait for a reply", [](const Value& v, C& c, K&) { c.requestTimeout = v.millis(); }},
  };
  return keys;
}

void loadShotgunSection(const SectionSource& source, DaemonConfig& c) {
  SectionReader in(source.ini, source.report, source.baseDir, "shotgun", c);
  if (!in.present()) {
    in.error(0, "", "section [shotgun] is missing");
    return;
  }
  in.readAll(shotgunKeys(), c);
  in.warnUnknownKeys(shotgunKeys());
}

}  // namespace sgeventd::config
