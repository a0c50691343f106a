// [broker]: the NATS JetStream cluster the daemon publishes the site's events to (docs/scaling-out.md).
// Optional; without the section, or with an empty url, broker mode is off and nothing else is read.
#include <cctype>
#include <filesystem>

#include "config/sections.h"

namespace sgeventd::config {

namespace fs = std::filesystem;

namespace {

bool startsWithScheme(const std::string& url) {
  std::string head = url.substr(0, 7);
  for (char& ch : head) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return head == "nats://" || head.rfind("tls://", 0) == 0;
}

// A NATS subject token or stream name: no '.', '*', '>' or white space (and, for a stream, no path
// separator, since the server names a folder after it).
std::string whyNotAToken(const std::string& text, bool stream) {
  if (text.empty()) {
    return "is empty";
  }
  for (const char ch : text) {
    if (ch == '.' || ch == '*' || ch == '>' || std::isspace(static_cast<unsigned char>(ch)) != 0 ||
        (stream && (ch == '/' || ch == '\\'))) {
      return inQuotes(text) + " may not contain '" + std::string(1, ch) + "'" +
             (stream ? " (no '.', '*', '>', '/', '\\' or spaces)" : " (no '.', '*', '>' or spaces)");
    }
  }
  return "";
}

std::optional<std::string> existingFile(const Value& v, const KeyContext& k) {
  if (v.text.empty()) {
    return std::nullopt;
  }
  std::string path = k.resolve(v.text);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    k.error(inQuotes(path) + " is not a file");
  }
  return path;
}

}  // namespace

std::string siteTokenOf(const std::string& serverUrl) {
  std::string host = serverUrl;
  if (const auto scheme = host.find("://"); scheme != std::string::npos) {
    host.erase(0, scheme + 3);
  }
  host = host.substr(0, host.find_first_of("/?#"));
  if (const auto at = host.rfind('@'); at != std::string::npos) {
    host.erase(0, at + 1);
  }
  std::string token;
  for (const char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '.' || ch == ':' || ch == '*' || ch == '>' || std::isspace(c) != 0) {
      token.push_back('_');
    } else {
      token.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  return token;
}

const std::vector<Key<BrokerSettings>>& brokerKeys() {
  using B = BrokerSettings;
  using K = const KeyContext;
  static const std::vector<Key<BrokerSettings>> keys = {
      {"url", Need::Optional, Parser::text(), "",
       "comma-separated nats:// URLs of the servers of one cluster; empty leaves broker mode off",
       [](const Value& v, B& b, K& k) {
         b.urls = splitList(v.text);
         for (const auto& url : b.urls) {
           if (!startsWithScheme(url)) {
             k.error(inQuotes(url) + " is not a nats:// or tls:// URL");
           }
         }
       }},
      {"credentials", Need::Optional, Parser::text(), "",
       "a NATS .creds file (user JWT and NKey seed) to log in with",
       [](const Value& v, B& b, K& k) { b.credentials = existingFile(v, k); }},
      {"tls_ca_file", Need::Optional, Parser::text(), "",
       "a CA bundle to trust for the servers' certificates (turns TLS on)",
       [](const Value& v, B& b, K& k) { b.tlsCaFile = existingFile(v, k); }},
      {"stream", Need::Optional, Parser::text(), "SGEVENTS", "the JetStream stream the site's events go to",
       [](const Value& v, B& b, K& k) {
         if (const std::string why = whyNotAToken(v.text, true); !why.empty()) {
           k.error(why);
           return;
         }
         b.stream = v.text;
       }},
      {"replicas", Need::Optional, Parser::integer(1, 3), "1",
       "copies of the stream in the cluster: 1, or 3 (survives the loss of one server)",
       [](const Value& v, B& b, K& k) {
         if (v.integer == 2) {
           k.error("\"2\" is not 1 or 3 (two copies survive no loss of a server that one does not)");
           return;
         }
         b.replicas = static_cast<int>(v.integer);
       }},
      {"site", Need::Optional, Parser::text(), "",
       "the site's token in the subjects sgevents.<site>.>; default: [shotgun] server's host name with "
       "'.' replaced by '_'",
       [](const Value& v, B& b, K& k) {
         if (const std::string why = whyNotAToken(v.text, false); !why.empty()) {
           k.error(why);
           return;
         }
         b.site = v.text;
       }},
      {"max_pending_acks", Need::Optional, Parser::integer(1, 65536), "256",
       "events published and not yet acknowledged by JetStream, at most (the publish window)",
       [](const Value& v, B& b, K&) { b.maxPendingAcks = static_cast<int>(v.integer); }},
      {"ack_wait", Need::Optional, Parser::seconds(0.1, 3600), "30",
       "workers: seconds a delivered event may go unacknowledged before another worker gets it; a running "
       "callback extends it every ack_wait / 3",
       [](const Value& v, B& b, K&) { b.ackWait = v.millis(); }},
      {"new_consumer_start", Need::Optional, Parser::choice({"new", "all"}), "new",
       "workers: where a plugin's consumer starts when it is created: new (after the newest event, as the "
       "original starts a new plugin) or all (the stream's first event)",
       [](const Value& v, B& b, K&) { b.newConsumerStartAll = v.choice == "all"; }},
  };
  return keys;
}

void loadBrokerSection(const SectionSource& source, DaemonConfig& c) {
  SectionReader in(source.ini, source.report, source.baseDir, "broker", c);
  if (!in.present()) {
    return;
  }
  in.read(keyNamed(brokerKeys(), "url"), c.broker);
  if (c.broker.urls.empty()) {
    // Broker mode off: the other keys are not read, so an unset %(VAR)s in them does no harm.
    in.warnUnknownKeys(brokerKeys());
    return;
  }
  for (const auto& key : brokerKeys()) {
    if (key.name != "url") {
      in.read(key, c.broker);
    }
  }
  if (c.broker.site.empty()) {
    c.broker.site = siteTokenOf(c.server);
    if (const std::string why = whyNotAToken(c.broker.site, false); !why.empty()) {
      in.error(0, "site", "cannot be derived from [shotgun] server (" + why + "); set it");
    }
  }
  in.warnUnknownKeys(brokerKeys());
}

}  // namespace sgeventd::config
