#pragma once
// sgeventd::sim::Site: a simulated ShotGrid site that speaks api3 JSON exactly as a real site does
// (protocol doc §1), logs an EventLogEntry for every write as a site does (§3), and has the test
// controls a daemon's tests need: fast synthetic event appends, ids that commit late or never, faults
// and call counters. Serve it over HTTP with sim::Server (server.h).
//
// Typical use in a test:
//
//   auto site = sim::Site::open({}).value();            // in memory; script "sgeventd" / "sim-key"
//   sim::Server server(*site);                          // 127.0.0.1, port 0
//   server.start().value();                             // http://127.0.0.1:<server.port()>
//   auto ids = site->appendSyntheticEvents(1000);       // ids.first .. ids.last, all visible
//   site->hideNext(3, sim::HideSpec::untilReleased());  // the next 3 event ids commit late
//   site->create("Shot", {{"code", "sh010"}});         // logs Shotgun_Shot_New + _Change (in_create)
//   site->release(site->hiddenIds());                   // they become visible
//   site->injectFault({.kind = sim::FaultKind::HttpStatus, .httpStatus = 502, .count = 2});
//   EXPECT_EQ(site->counters().callsOf("read"), 3);
//
// Every method is thread-safe (one reader-writer lock); the Server calls handleApi3 from its threads.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/expected.h"
#include "http/server.h"
#include "sim/faults.h"
#include "sim/records.h"

namespace sgeventd::sim {

using TimePoint = std::chrono::system_clock::time_point;

// An api3 script: clients authenticate with {"script_name": name, "script_key": key}. Each gets an ApiUser
// row.
struct Script {
  std::string name;
  std::string key;
};
// "NAME:KEY" as given to `sgeventd sim --script`.
Expected<Script> parseScript(std::string_view text);

struct SiteOptions {
  std::optional<std::string> dataFile;  // SQLite file persisting the whole site; in memory when empty
  std::vector<Script> scripts;          // empty: {"sgeventd", "sim-key"}
  core::ClockPtr clock;                 // created_at stamps and hide deadlines; the system clock when null
  std::uint64_t seed = 42;              // fault probabilities and synthetic shapes
  // Demo mode: any script name/key authenticates (an unknown name gets its own ApiUser on first use).
  bool acceptAnyScript = false;
};

// What the HTTP layer must send back. In-process callers read `body` (always JSON unless a fault cut it).
struct HttpReply {
  enum class Delivery {
    Normal,
    ResetHalfway,  // send headers with the full Content-Length, half the body, then drop the connection
  };
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Retry-After)
  // With a charset, as sites send it (shotgun_api3 accepts any type starting with application/json).
  std::string contentType = http::kJsonContentType;
  Delivery delivery = Delivery::Normal;
  int delayMs = 0;  // the server waits this long before answering (FaultKind::Slow)
};

struct IdRange {
  std::int64_t first = 0;
  std::int64_t last = -1;
  std::int64_t size() const { return last >= first ? last - first + 1 : 0; }
  bool empty() const { return size() == 0; }
  std::vector<std::int64_t> ids() const;
};

struct SyntheticOptions {
  std::optional<TimePoint> createdAt;  // every appended event gets this created_at (tests need "old" events)
  std::optional<std::string> sessionUuid;
  std::uint64_t seed = 1;
};

// How an id commits late. Hidden rows are invisible to every read (read, summarize, fast path).
struct HideSpec {
  enum class Mode { UntilTime, UntilReleased, Never };
  Mode mode = Mode::UntilReleased;
  TimePoint until{};  // UntilTime: visible once the site clock reaches it (or on release)

  static HideSpec untilReleased() { return {}; }
  static HideSpec never() { return {Mode::Never, {}}; }  // release() does not reveal these
  static HideSpec untilTime(TimePoint t) { return {Mode::UntilTime, t}; }
};

struct Counters {
  std::map<std::string, std::int64_t> calls;  // api3 method_name -> calls (faulted ones included)
  std::map<std::string, std::int64_t> rows;   // api3 method_name -> entities returned by successful calls
  std::int64_t callsOf(const std::string& method) const;
  std::int64_t rowsOf(const std::string& method) const;
  Json toJson() const;
};

// Who a direct write is made as. Default: the first script's ApiUser, no session uuid.
struct Actor {
  Json user = nullptr;  // {"type": "HumanUser"|"ApiUser", "id": N}
  std::optional<std::string> sessionUuid;
};

class Site {
 public:
  static Expected<std::unique_ptr<Site>> open(SiteOptions options = {});
  ~Site();
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  // ---- wire protocol ------------------------------------------------------------------------------
  // One POST /api3/json body in, one reply out (faults applied, counters updated).
  HttpReply handleApi3(std::string_view body);
  // In-process convenience: wraps `params` in the envelope with the first script's auth (params may be
  // null for none) and returns the decoded reply: {"results": ...} or the exception object.
  Json call(const std::string& method, const Json& params = nullptr);
  // The /sim/... control endpoints (server.cpp routes them here). `path` starts with "/sim/".
  HttpReply handleControl(const std::string& httpMethod, const std::string& path, std::string_view body);

  // ---- entity writes through the api3 write path (events are logged exactly as for api3 calls) ----
  // `fields` is an object {"code": "sh010", "project": {"type": "Project", "id": 1}}.
  ApiResult<Json> create(const std::string& type, const Json& fields, const Actor& actor = {});
  // `modes` maps multi-entity field names to "set" | "add" | "remove".
  ApiResult<Json> update(const std::string& type, std::int64_t id, const Json& fields,
                         const Json& modes = nullptr, const Actor& actor = {});
  ApiResult<bool> retire(const std::string& type, std::int64_t id, const Actor& actor = {});
  ApiResult<bool> revive(const std::string& type, std::int64_t id, const Actor& actor = {});
  // The api3 `read` parameters ({"type","filters","return_fields",...}); returns {"entities","paging_info"}.
  ApiResult<Json> read(const Json& params);
  Actor scriptActor(std::size_t index = 0) const;

  // ---- event log controls ---------------------------------------------------------------------------
  // Appends n events of realistic shapes (Shot/Task status changes, Version/Note _New) in one go.
  IdRange appendSyntheticEvents(std::int64_t n, const SyntheticOptions& options = {});
  std::int64_t lastEventId() const;  // highest event id written so far (0 when none)
  std::int64_t nextEventId() const;  // the id the next event will get
  std::int64_t eventCount() const;   // rows written, hidden ones included
  // Hides ids, existing rows or ids not written yet (they are hidden when written).
  void hideIds(const std::vector<std::int64_t>& ids, HideSpec spec = {});
  void hideRange(IdRange range, HideSpec spec = {});
  // The next n event ids commit late; returns them.
  IdRange hideNext(std::int64_t n, HideSpec spec = {});
  void release(const std::vector<std::int64_t>& ids);  // Never-hidden ids stay hidden
  void releaseAll();
  std::vector<std::int64_t> hiddenIds() const;  // currently hidden (deadline not reached)
  bool isVisible(std::int64_t id) const;        // an existing row that every read returns

  // ---- faults and counters ----------------------------------------------------------------------------
  void injectFault(FaultSpec spec);
  void clearFaults();
  Counters counters() const;
  void resetCounters();

  // ---- persistence --------------------------------------------------------------------------------------
  // Writes are persisted after each call when a data file is set; this reports the last failure.
  Expected<void> lastPersistError() const;

  core::ClockPtr clock() const;
  const std::vector<Script>& scripts() const;

  struct State;  // implementation detail (site_state.h)

 private:
  explicit Site(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace sgeventd::sim
