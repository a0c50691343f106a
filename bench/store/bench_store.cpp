// Commit latency of the state store: one lane alone (a plain transaction with one fsync), and eight
// lanes committing at once (grouped into shared transactions). Runs on the temporary folder's disk.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "store/state_store.h"

namespace {

using sgeventd::store::Checkpoint;
using sgeventd::store::GapRange;
using sgeventd::store::OpenMode;
using sgeventd::store::StateStore;
using sgeventd::store::StateStorePtr;

class SharedStore {
 public:
  SharedStore() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sgeventd-bench-XXXXXX").string();
    folder_ = ::mkdtemp(pattern.data());
    auto opened = StateStore::open((folder_ / "state.sqlite").string(), OpenMode::Daemon);
    if (opened) {
      store_ = std::move(*opened);
    }
  }
  ~SharedStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(folder_, ec);
  }
  StateStore* get() { return store_.get(); }

 private:
  std::filesystem::path folder_;
  StateStorePtr store_;
};

void commitLoop(benchmark::State& state, StateStore& store, const std::string& plugin) {
  std::int64_t cursor = 0;
  for (auto _ : state) {
    ++cursor;
    auto result =
        store.commit({Checkpoint{"/plugins", plugin, cursor, {GapRange{cursor + 1, cursor + 1, {}}}}});
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CommitSingleThread(benchmark::State& state) {
  SharedStore store;
  if (store.get() == nullptr) {
    state.SkipWithError("cannot open the store");
    return;
  }
  commitLoop(state, *store.get(), "solo");
}
BENCHMARK(BM_CommitSingleThread)->UseRealTime()->Unit(benchmark::kMicrosecond);

// One store shared by the benchmark's threads, each committing its own plugin.
std::mutex sharedMutex;
std::unique_ptr<SharedStore> shared;

void BM_CommitGrouped(benchmark::State& state) {
  StateStore* store = nullptr;
  {
    std::lock_guard lock(sharedMutex);
    if (!shared) {
      shared = std::make_unique<SharedStore>();
    }
    store = shared->get();
  }
  if (store == nullptr) {
    state.SkipWithError("cannot open the store");
    return;
  }
  // The timed loops of all threads start and end together; thread 0 tears down after the end.
  commitLoop(state, *store, "lane" + std::to_string(state.thread_index()));
  if (state.thread_index() == 0) {
    std::lock_guard lock(sharedMutex);
    shared.reset();
  }
}
BENCHMARK(BM_CommitGrouped)->Threads(8)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
