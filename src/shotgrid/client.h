#pragma once
// shotgrid::Client: the api3 JSON client (protocol doc §1), the way shotgun_api3 speaks it.
// Contract for every other room; the implementation lives in client.cpp and its helpers.
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "core/event.h"
#include "core/expected.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "shotgrid/client_error.h"
#include "shotgrid/event_reader.h"

namespace sgeventd::shotgrid {

using Json = nlohmann::json;

struct Auth {
  std::string scriptName;
  std::string scriptKey;
  std::optional<std::string> sessionUuid;
  std::optional<std::string> sudoAsLogin;
};

struct RetryPolicy {
  int maxAttempts = 5;  // for reads; writes are sent once when they may have reached the server
  core::BackoffPolicy backoff{std::chrono::milliseconds(250), std::chrono::milliseconds(10000)};
  std::chrono::milliseconds maxRetryAfter{60000};  // a server's Retry-After is honoured up to this
};

struct ClientOptions {
  std::string server;  // "https://site.shotgrid.autodesk.com" or "http://127.0.0.1:8020[/prefix]"
  Auth auth;
  std::optional<std::string> httpProxy;  // the original's proxy_server
  std::optional<std::string> caPath;     // CA bundle file or directory
  bool verifyTls = true;
  std::chrono::milliseconds connectTimeout{10000};
  std::chrono::milliseconds totalTimeout{60000};
  RetryPolicy retry;
  int entitiesPerPage = 500;           // api_max_entities_per_page; PA's default when info does not say
  bool acceptCompression = true;       // ask for gzip (worth it over a WAN; off for loopback benchmarks)
  core::LoggerPtr logger;              // optional: a WARNING when a call starts retrying, a line at its end
  core::Shutdown* shutdown = nullptr;  // optional: a stop request cuts retry waits short
  // With `shutdown`: a stop also abandons a request in flight, so a silent server cannot hold the stop.
  // For the daemon's own reads; a plugin's calls are left to finish, since its current event is drained.
  bool abandonOnStop = false;
};

struct FindOptions {
  Json order = Json::array();  // [{"field_name"|"column": "id", "direction": "asc"}]
  std::optional<int> limit;    // 0 or nullopt: every page
  std::optional<int> page;     // explicit 1-based page: one request
  bool retiredOnly = false;
  bool includeArchivedProjects = true;
  Json additionalFilterPresets = nullptr;
};

// The fields the original daemon fetches for every event (spec §4.3).
const std::vector<std::string>& eventFields();

// A Client owns one libcurl easy handle (a kept-alive connection) and is used by one thread at a time;
// give each thread its own Client. libcurl's global init must have run before the first Client.
class Client final : public EventReader {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void setSessionUuid(std::optional<std::string> uuid);
  const ClientOptions& options() const;

  Result<Json> info();
  // `filters` in the user-side list syntax: [["id","greater_than",5],
  // {"filter_operator":"any","filters":[...]}]
  Result<Json> find(const std::string& entityType, const Json& filters,
                    const std::vector<std::string>& fields, const FindOptions& options = {});
  Result<Json> findOne(const std::string& entityType, const Json& filters,
                       const std::vector<std::string>& fields,
                       const FindOptions& options = {});  // null when nothing matched
  Result<Json> create(const std::string& entityType, const Json& data,
                      const std::vector<std::string>& returnFields = {});
  // multiEntityUpdateModes: {"assets": "add", "shots": "remove"}
  Result<Json> update(const std::string& entityType, std::int64_t id, const Json& data,
                      const Json& multiEntityUpdateModes = nullptr);
  Result<bool> remove(const std::string& entityType, std::int64_t id);  // api3 "delete"
  Result<bool> revive(const std::string& entityType, std::int64_t id);
  Result<Json> batch(const Json& requests);  // [{"request_type":"create","entity_type":...}, ...]
  Result<Json> summarize(const std::string& entityType, const Json& filters, const Json& summaryFields,
                         const Json& grouping = nullptr, bool includeArchivedProjects = true);
  Result<Json> schemaRead(const Json& project = nullptr);
  Result<Json> schemaEntityRead(const Json& project = nullptr);
  Result<Json> schemaFieldRead(const std::string& entityType,
                               const std::optional<std::string>& fieldName = {},
                               const Json& project = nullptr);

  // EventLogEntry rows decoded straight into events (the daemon's hot path): one request, ascending id.
  Result<std::vector<core::Event>> findEvents(const Json& filters, int limit);
  // EventReader, over findEvents (event_reader.cpp).
  Result<std::vector<core::Event>> readEvents(const EventQuery& query) override;
  Result<std::int64_t> newestEventId() override;

  // One api3 call with the auth envelope. `idempotent` reads are retried; writes are sent once unless the
  // failure proves the request never reached the server (connection refused before sending).
  Result<Json> call(const std::string& method, const Json& params, bool idempotent);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes one api3 EventLogEntry record (wire shape) into an Event; `json` keeps the compact record text.
Expected<core::Event> eventFromJson(const Json& record);

}  // namespace sgeventd::shotgrid
