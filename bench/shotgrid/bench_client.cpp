// The daemon's hot path: 500-event EventLogEntry pages (`id > X`, ascending) from a simulated site holding a
// 1,000,000-event log. BM_FindEvents fetches and decodes into core::Event; BM_RawPage fetches the same pages
// as bytes with plain curl, so decode cost = 1 - rate(FindEvents) / rate(RawPage). BM_DecodePage and
// BM_DecodePageGeneral decode one such page over and over, with no HTTP: the event path's decoder
// (event_page.h) and the general one it falls back to.
#include <benchmark/benchmark.h>
#include <curl/curl.h>

#include <memory>

#include "shotgrid/client.h"
#include "shotgrid/event_codec.h"
#include "shotgrid/event_page.h"
#include "shotgrid/http_transport.h"
#include "shotgrid/response.h"
#include "sim/server.h"
#include "sim/site.h"

namespace {

using sgeventd::shotgrid::Json;
constexpr std::int64_t kLogSize = 1'000'000;
constexpr int kPage = 500;

struct Fixture {
  std::unique_ptr<sgeventd::sim::Site> site;
  std::unique_ptr<sgeventd::sim::Server> server;
  std::int64_t firstId = 0;
  std::int64_t lastId = 0;
};

Fixture& fixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    fx->site = std::move(sgeventd::sim::Site::open({}).value());
    const auto range = fx->site->appendSyntheticEvents(kLogSize);
    fx->firstId = range.first;
    fx->lastId = range.last;
    fx->server = std::make_unique<sgeventd::sim::Server>(*fx->site);
    if (!fx->server->start()) {
      std::abort();
    }
    return fx;
  }();
  return *f;
}

sgeventd::shotgrid::ClientOptions options() {
  sgeventd::shotgrid::ClientOptions o;
  o.server = fixture().server->url();
  o.auth = {fixture().site->scripts().at(0).name, fixture().site->scripts().at(0).key, std::nullopt,
            std::nullopt};
  o.acceptCompression = false;  // loopback: compression would only cost CPU
  return o;
}

// Walks the log in page steps and wraps around, so every iteration reads a full, different page.
struct Cursor {
  std::int64_t next;
  std::int64_t after() {
    const auto& fx = fixture();
    if (next + kPage > fx.lastId) {
      next = fx.firstId - 1;
    }
    const auto x = next;
    next += kPage;
    return x;
  }
};

void BM_FindEvents(benchmark::State& state) {
  sgeventd::shotgrid::Client client(options());
  Cursor cursor{fixture().firstId - 1};
  std::int64_t events = 0;
  for (auto _ : state) {
    auto page = client.findEvents(Json::array({Json::array({"id", "greater_than", cursor.after()})}), kPage);
    if (!page || page->size() != static_cast<std::size_t>(kPage)) {
      state.SkipWithError(page ? "short page" : page.error().describe().c_str());
      break;
    }
    events += static_cast<std::int64_t>(page->size());
    benchmark::DoNotOptimize(page->back().id);
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

// The same pages through Client::find: transport and JSON parse, no Event decoding.
void BM_FindJson(benchmark::State& state) {
  sgeventd::shotgrid::Client client(options());
  Cursor cursor{fixture().firstId - 1};
  sgeventd::shotgrid::FindOptions find;
  find.limit = kPage;
  find.order = Json::parse(R"([{"field_name":"id","direction":"asc"}])");
  std::int64_t events = 0;
  for (auto _ : state) {
    auto page =
        client.find("EventLogEntry", Json::array({Json::array({"id", "greater_than", cursor.after()})}),
                    sgeventd::shotgrid::eventFields(), find);
    if (!page || page->size() != static_cast<std::size_t>(kPage)) {
      state.SkipWithError(page ? "short page" : page.error().describe().c_str());
      break;
    }
    events += static_cast<std::int64_t>(page->size());
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

// One page of the log as the transport receives it (with its padding).
const sgeventd::shotgrid::HttpResponse& samplePage() {
  static const sgeventd::shotgrid::HttpResponse page = [] {
    const auto o = options();
    sgeventd::shotgrid::TransportOptions t;
    t.url = o.server + "/api3/json";
    t.acceptCompression = false;
    sgeventd::shotgrid::HttpTransport transport(t);
    const Json request{{"method_name", "read"},
                       {"params",
                        {{{"script_name", o.auth.scriptName}, {"script_key", o.auth.scriptKey}},
                         {{"type", "EventLogEntry"},
                          {"return_fields", sgeventd::shotgrid::eventFields()},
                          {"filters", {{"logical_operator", "and"}, {"conditions", Json::array()}}},
                          {"return_only", "active"},
                          {"paging", {{"entities_per_page", kPage}, {"current_page", 1}}},
                          {"sorts", {{{"field_name", "id"}, {"direction", "asc"}}}},
                          {"return_paging_info", false}}}}};
    auto reply = transport.post(request.dump());
    if (!reply) {
      std::abort();
    }
    return std::move(*reply);
  }();
  return page;
}

void BM_DecodePage(benchmark::State& state) {
  const auto& page = samplePage();
  std::int64_t events = 0;
  for (auto _ : state) {
    auto decoded = sgeventd::shotgrid::decodeEventPage(page, kPage);
    if (!decoded || decoded->size() != static_cast<std::size_t>(kPage)) {
      state.SkipWithError("the fast path declined the page");
      break;
    }
    events += static_cast<std::int64_t>(decoded->size());
    benchmark::DoNotOptimize(decoded->back().id);
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void BM_DecodePageGeneral(benchmark::State& state) {
  const auto& page = samplePage();
  std::int64_t events = 0;
  for (auto _ : state) {
    auto body = sgeventd::shotgrid::decodeOrderedResponse(page);
    if (!body) {
      state.SkipWithError(body.error().describe().c_str());
      break;
    }
    auto decoded = sgeventd::shotgrid::eventsFromBody(std::move(*body));
    if (!decoded || decoded->size() != static_cast<std::size_t>(kPage)) {
      state.SkipWithError("the general path refused the page");
      break;
    }
    events += static_cast<std::int64_t>(decoded->size());
    benchmark::DoNotOptimize(decoded->back().id);
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

size_t discard(char*, size_t size, size_t n, void* user) {
  *static_cast<std::size_t*>(user) += size * n;
  return size * n;
}

void BM_RawPage(benchmark::State& state) {
  const auto o = options();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  const std::string url = o.server + "/api3/json";
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8");
  headers = curl_slist_append(headers, "Expect:");
  std::size_t bytes = 0;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &discard);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &bytes);
  Cursor cursor{fixture().firstId - 1};
  std::int64_t events = 0;
  for (auto _ : state) {
    const Json body{
        {"method_name", "read"},
        {"params",
         {{{"script_name", o.auth.scriptName}, {"script_key", o.auth.scriptKey}},
          {{"type", "EventLogEntry"},
           {"return_fields", sgeventd::shotgrid::eventFields()},
           {"filters",
            {{"logical_operator", "and"},
             {"conditions", {{{"path", "id"}, {"relation", "greater_than"}, {"values", {cursor.after()}}}}}}},
           {"return_only", "active"},
           {"paging", {{"entities_per_page", kPage}, {"current_page", 1}}},
           {"sorts", {{{"field_name", "id"}, {"direction", "asc"}}}},
           {"api_return_image_urls", true},
           {"return_paging_info", false}}}}};
    const std::string text = body.dump();
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, text.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(text.size()));
    if (curl_easy_perform(curl.get()) != CURLE_OK) {
      state.SkipWithError("curl failed");
      break;
    }
    events += kPage;
  }
  curl_slist_free_all(headers);
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["bytes/page"] =
      static_cast<double>(bytes) / std::max<double>(1, static_cast<double>(state.iterations()));
}

BENCHMARK(BM_FindEvents)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FindJson)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RawPage)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodePage)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodePageGeneral)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  benchmark::Initialize(&argc, argv);
  fixture();  // the 1,000,000-event log is built once, before any timing
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  curl_global_cleanup();
  return 0;
}
