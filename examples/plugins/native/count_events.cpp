// count_events: the daemon's crash and exactly-once test. Appends "<event id>\n" to a file, fsync()ed,
// one line per call (failed calls included), so duplicates and losses show after a kill -9.
//
//   SGEVENTD_COUNT_FILE      the file (required)
//   SGEVENTD_COUNT_SLEEP_MS  optional sleep per event, to widen the crash window
//   SGEVENTD_COUNT_FAIL_IDS  optional comma list of event ids whose call fails after writing its line
// The environment is read at registration: a reload picks up new values.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <sgeventd/plugin.hpp>
#include <sstream>
#include <thread>

namespace sdk = sgeventd::sdk;

namespace {

std::set<std::int64_t> parseIds(const char* text) {
  std::set<std::int64_t> ids;
  std::stringstream in(text != nullptr ? text : "");
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.find_first_not_of(" \t") != std::string::npos) {
      ids.insert(std::stoll(item));
    }
  }
  return ids;
}

void appendLine(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw sdk::Failure("cannot open " + path);
  }
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    throw sdk::Failure("cannot write to " + path);
  }
}

void registerCallbacks(sdk::Registrar& reg) {
  const char* out = std::getenv("SGEVENTD_COUNT_FILE");
  if (out == nullptr || *out == '\0') {
    throw sdk::Failure("count_events needs SGEVENTD_COUNT_FILE");
  }
  const char* sleepText = std::getenv("SGEVENTD_COUNT_SLEEP_MS");
  sdk::Json args = {{"out", out},
                    {"sleep_ms", sleepText != nullptr ? std::atoi(sleepText) : 0},
                    {"fail_ids", parseIds(std::getenv("SGEVENTD_COUNT_FAIL_IDS"))}};
  reg.registerCallback(
      "countEvent", "count_events", "",
      [](const sdk::Event& event, sdk::Logger&, sdk::Connection&, const sdk::Json& args) {
        if (const int sleepMs = args["sleep_ms"].get<int>(); sleepMs > 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(sleepMs));
        }
        appendLine(args["out"].get<std::string>(), std::to_string(event.id()) + "\n");
        const auto failIds = args["fail_ids"].get<std::set<std::int64_t>>();
        if (failIds.count(event.id()) != 0) {
          throw sdk::Failure("event " + std::to_string(event.id()) +
                             " fails as SGEVENTD_COUNT_FAIL_IDS asks");
        }
      },
      nullptr, args);
}

}  // namespace

SGEVENTD_PLUGIN(registerCallbacks)
