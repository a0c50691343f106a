// The simulated site's event log: serving the daemon's 500-event read page from a 1,000,000-event log,
// in process and over HTTP, against a baseline that only serializes the same 500 rows; and appending 1M
// events.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/server.h"
#include "sim/site.h"

namespace {

using sgeventd::sim::Json;
using sgeventd::sim::Site;

constexpr std::int64_t kLogSize = 1'000'000;
constexpr int kPage = 500;

Site& bigSite() {
  static std::unique_ptr<Site> site = [] {
    auto s = Site::open({}).value();
    s->appendSyntheticEvents(kLogSize);
    return s;
  }();
  return *site;
}

// The daemon's exact request (protocol doc §1.5) for `id > after`.
std::string eventRequest(std::int64_t after) {
  const Json body{
      {"method_name", "read"},
      {"params",
       {{{"script_name", "sgeventd"},
         {"script_key", "sim-key"},
         {"session_uuid", "5a1d49b0-0c69-11e0-a24c-003048d17544"}},
        {{"type", "EventLogEntry"},
         {"return_fields",
          {"id", "event_type", "attribute_name", "meta", "entity", "user", "project", "session_uuid",
           "created_at"}},
         {"filters",
          {{"logical_operator", "and"},
           {"conditions", {{{"path", "id"}, {"relation", "greater_than"}, {"values", {after}}}}}}},
         {"return_only", "active"},
         {"paging", {{"entities_per_page", kPage}, {"current_page", 1}}},
         {"sorts", {{{"field_name", "id"}, {"direction", "asc"}}}},
         {"api_return_image_urls", true},
         {"return_paging_info_without_counts", false}}}}};
  return body.dump();
}

std::vector<std::string> requests() {
  std::vector<std::string> out;
  for (std::int64_t i = 0; i < 64; ++i) {
    out.push_back(eventRequest(i * (kLogSize / 64)));
  }
  return out;
}

void BM_ReadPageInProcess(benchmark::State& state) {
  Site& site = bigSite();
  const auto bodies = requests();
  std::size_t i = 0;
  for (auto _ : state) {
    auto reply = site.handleApi3(bodies[i++ % bodies.size()]);
    benchmark::DoNotOptimize(reply.body.data());
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kPage, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReadPageInProcess)->Unit(benchmark::kMicrosecond);

void BM_ReadPageOverHttp(benchmark::State& state) {
  Site& site = bigSite();
  sgeventd::sim::Server server(site);
  if (!server.start()) {
    state.SkipWithError("server did not start");
    return;
  }
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // as curl does by default
  const auto bodies = requests();
  std::size_t i = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto res = client.Post("/api3/json", bodies[i++ % bodies.size()], "application/json");
    if (!res || res->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
    bytes += res->body.size();
  }
  server.stop();
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kPage, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_ReadPageOverHttp)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Baseline: the same 500 rows, already materialized, only serialized (no lookup, filter or paging).
void BM_BaselineSerializePage(benchmark::State& state) {
  Site& site = bigSite();
  const Json page = Json::parse(site.handleApi3(eventRequest(kLogSize / 2)).body)["results"];
  for (auto _ : state) {
    std::string text = page.dump();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kPage, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BaselineSerializePage)->Unit(benchmark::kMicrosecond);

void BM_AppendMillionSyntheticEvents(benchmark::State& state) {
  for (auto _ : state) {
    auto site = Site::open({}).value();
    site->appendSyntheticEvents(kLogSize);
    benchmark::DoNotOptimize(site->lastEventId());
    state.PauseTiming();
    site.reset();  // freeing the log is not part of the figure
    state.ResumeTiming();
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kLogSize, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AppendMillionSyntheticEvents)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
