#pragma once
// Shared helpers for the plugin tests: temporary folders, events, a host context with memory logs.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/memory_log.h"
#include "plugins/plugin.h"

namespace sgeventd::plugins::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sgeventd-plugins-test-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    path_ = ::mkdtemp(buffer.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline core::Event makeEvent(std::int64_t id, std::string type = "Shotgun_Task_Change",
                             std::optional<std::string> attribute = std::string("sg_status_list")) {
  core::Event event;
  event.id = id;
  event.eventType = std::move(type);
  event.attributeName = std::move(attribute);
  event.entity = core::EntityRef{"Task", 7, "Anim"};
  event.user = core::EntityRef{"HumanUser", 35, "Kevin"};
  event.project = core::EntityRef{"Project", 65, "Big Buck Bunny"};
  event.sessionUuid = "450e4da2-dafa-11e0-9ba7-0023dffffeab";
  event.createdAt = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000) +
                                                          std::chrono::microseconds(123456));
  event.metaJson = R"({"new_value":"fin","old_value":"ip"})";
  event.json = R"({"id":)" + std::to_string(id) + R"(,"type":"EventLogEntry"})";
  return event;
}

struct TestHost {
  std::shared_ptr<core::MemoryLogFactory> logs = std::make_shared<core::MemoryLogFactory>();
  HostContext context() const { return HostContext{logs, nullptr, false}; }
  std::size_t count(const std::string& needle) const { return logs->sink().count(needle); }
};

inline PluginId idFor(const std::filesystem::path& file, std::string collection = "plugins") {
  return PluginId{std::move(collection), file.stem().string(), file};
}

// Whether any mapping of this process comes from `file`.
inline bool isMapped(const std::filesystem::path& file) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find(file.string()) != std::string::npos) {
      return true;
    }
  }
  return false;
}

inline void writeFile(const std::filesystem::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
}

}  // namespace sgeventd::plugins::testing
