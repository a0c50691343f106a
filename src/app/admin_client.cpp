#include "app/admin_client.h"

#include <curl/curl.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/daemon_control.h"
#include "store/daemon_lock.h"

namespace sgeventd::app {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct EasyFree {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

}  // namespace

bool daemonRuns(const config::DaemonConfig& c) {
  auto holder = store::lockHolder(c.stateDatabase);
  return holder && *holder && isLiveSgeventd(**holder);
}

std::string adminAddressFile(const config::DaemonConfig& c) { return c.stateDatabase + ".admin-url"; }

std::optional<AdminClient> AdminClient::forConfig(const config::DaemonConfig& c) {
  if (c.admin.listen.empty()) {
    return std::nullopt;
  }
  std::string base;
  std::ifstream file(adminAddressFile(c));
  if (file && std::getline(file, base) && base.rfind("http://", 0) == 0) {
    return AdminClient(base, c.admin.token);
  }
  // A wildcard address is reached through loopback on this machine.
  std::string host = c.admin.host;
  if (host == "0.0.0.0" || host.empty()) {
    host = "127.0.0.1";
  } else if (host == "::") {
    host = "::1";
  }
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return AdminClient("http://" + host + ":" + std::to_string(c.admin.port), c.admin.token);
}

std::string AdminClient::escape(const std::string& segment) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Expected<AdminReply> AdminClient::get(const std::string& path) const { return request("GET", path, nullptr); }

Expected<AdminReply> AdminClient::post(const std::string& path, const std::string& body) const {
  return request("POST", path, &body);
}

Expected<AdminReply> AdminClient::request(const std::string& method, const std::string& path,
                                          const std::string* body) const {
  std::unique_ptr<CURL, EasyFree> curl(curl_easy_init());
  if (!curl) {
    return fail("cannot create a curl handle");
  }
  const std::string url = base_ + path;
  std::string received;
  std::unique_ptr<curl_slist, SlistFree> headers;
  auto addHeader = [&headers](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  addHeader("Accept: application/json");
  if (!token_.empty()) {
    addHeader("Authorization: Bearer " + token_);
  }
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");  // the daemon is on this machine, never behind a proxy
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &received);
  if (method == "POST") {
    addHeader("Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    return fail("the daemon's admin API at " + base_ + " did not answer: " + curl_easy_strerror(code));
  }
  AdminReply reply;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.body = std::move(received);
  return reply;
}

std::string replyError(const AdminReply& reply) {
  const auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string()) {
    return json["error"].get<std::string>();
  }
  return "HTTP " + std::to_string(reply.status) + (reply.body.empty() ? "" : ": " + reply.body);
}

}  // namespace sgeventd::app
