// The whole eventIdFile import (file, pickle, checkpoints, backlog expiries in local time) into an empty
// in-memory store, with a fixed clock so an input means the same every run.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/memory_log.h"
#include "legacy/import.h"
#include "memory_store.h"

namespace {

class FixedClock final : public sgeventd::core::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'900'000'000));
  }
  std::chrono::steady_clock::time_point steadyNow() const override { return {}; }
};

// One file per process (libFuzzer may run several jobs at once), removed at exit.
const std::string& inputPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string p =
        std::string(dir != nullptr ? dir : "/tmp") + "/sgeventd-fuzz-import-" + std::to_string(::getpid());
    std::atexit([] { ::unlink(inputPath().c_str()); });
    return p;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(inputPath(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  sgeventd::fuzz::MemoryStore store;
  sgeventd::core::MemoryLogFactory logs;
  const auto log = logs.get("engine");
  const FixedClock clock;
  (void)sgeventd::legacy::importLegacyState(inputPath(), store, *log, clock);
  return 0;
}
