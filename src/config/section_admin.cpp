// [admin]: the admin HTTP server. Optional: without the section it listens on 127.0.0.1:8480, where only
// this machine's users reach it; an address others can reach must come with a token, since the API can
// disable plugins and move their checkpoints.
#include <sys/stat.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "config/sections.h"

namespace sgeventd::config {
namespace {

struct Endpoint {
  std::string host;
  int port = 0;
};

// "host:port" or "[v6]:port"; the message says what is wrong otherwise.
Expected<Endpoint, std::string> parseEndpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return unexpected("\"" + text + "\" is not host:port (for example 127.0.0.1:8480)");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return unexpected("\"" + text + "\": write an IPv6 address in brackets, as [::1]:8480");
  }
  const std::string port = text.substr(colon + 1);
  int value = -1;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || value < 0 ||
      value > 65535) {
    return unexpected("\"" + port + "\" is not a port number 0 to 65535 (0 picks a free one)");
  }
  return Endpoint{host, value};
}

bool isLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string trimmedToken(std::string text) {
  const auto end = text.find_last_not_of(" \t\r\n");
  text.erase(end == std::string::npos ? 0 : end + 1);
  const auto begin = text.find_first_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : text.substr(begin);
}

}  // namespace

const std::vector<Key<AdminSettings>>& adminKeys() {
  using A = AdminSettings;
  using K = const KeyContext;
  static const std::vector<Key<AdminSettings>> keys = {
      {"listen", Need::Optional, Parser::text(), "127.0.0.1:8480",
       "host:port of the admin API, /metrics, /healthz, /readyz and the status page; empty turns it off; "
       "an address that is not loopback needs token or token_file",
       [](const Value& v, A& a, K& k) {
         a.listen = v.text;
         if (v.text.empty()) {
           return;
         }
         auto endpoint = parseEndpoint(v.text);
         if (!endpoint) {
           k.error(endpoint.error());
           return;
         }
         a.host = endpoint->host;
         a.port = endpoint->port;
         a.loopback = isLoopback(endpoint->host);
       }},
      {"token", Need::Optional, Parser::text(), "",
       "bearer token every changing call must send (and every call when listen is not loopback)",
       [](const Value& v, A& a, K&) {
         if (!v.text.empty()) {
           a.token = trimmedToken(v.text);
         }
       }},
      {"token_file", Need::Optional, Parser::text(), "",
       "a file holding the token (kept out of the config file); its first line is the token",
       [](const Value& v, A& a, K& k) {
         if (v.text.empty()) {
           return;
         }
         const std::string path = k.resolve(v.text);
         std::ifstream in(path);
         if (!in) {
           k.error("cannot read the token file " + inQuotes(path));
           return;
         }
         std::string line;
         std::getline(in, line);
         std::string token = trimmedToken(line);
         if (token.empty()) {
           k.error("the token file " + inQuotes(path) + " is empty");
           return;
         }
         if (!a.token.empty() && a.token != token) {
           k.error("token and token_file are both set and differ; keep one");
           return;
         }
         struct stat st {};
         if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
           k.warning("the token file " + inQuotes(path) + " is readable by others (chmod 600 it)");
         }
         a.token = std::move(token);
       }},
      {"stuck_after", Need::Optional, Parser::seconds(1, kMaxSeconds), "300",
       "a callback running longer than this makes /readyz answer 503 (the plugin is stuck)",
       [](const Value& v, A& a, K&) {
         a.stuckAfter = std::chrono::seconds(static_cast<std::int64_t>(v.seconds));
       }},
  };
  return keys;
}

void loadAdminSection(const SectionSource& source, DaemonConfig& c) {
  SectionReader in(source.ini, source.report, source.baseDir, "admin", c);
  if (!in.present()) {
    return;
  }
  in.readAll(adminKeys(), c.admin);
  if (!c.admin.listen.empty() && !c.admin.loopback && c.admin.token.empty()) {
    in.error(in.line("listen"), "listen",
             inQuotes(c.admin.listen) +
                 " is reachable from other machines: set token or token_file, or listen on 127.0.0.1");
  }
  in.warnUnknownKeys(adminKeys());
}

}  // namespace sgeventd::config
