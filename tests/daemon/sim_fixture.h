#pragma once
// What the daemon-process tests share: a fresh folder with the count_events plugin in it, `sgeventd sim`
// in another process with a client for its control API, and readers for the files the daemon writes.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/slurp.h"
#include "process.h"

namespace sgeventd::testing {

// The ids in a file written one a line (the count_events plugin's output), in the order written.
inline std::vector<std::int64_t> countedIds(const std::filesystem::path& p) {
  std::vector<std::int64_t> ids;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      ids.push_back(std::stoll(line));
    }
  }
  return ids;
}

// Makes `dir` afresh with plugins/count_events.so from the build.
inline void preparePluginDir(const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "plugins");
  std::filesystem::copy_file(std::filesystem::path(SGEVENTD_BUILD_DIR) / "test-plugins/count_events.so",
                             dir / "plugins/count_events.so");
}

// `sgeventd sim --port 0` in another process, its stderr in dir/sim.stderr. Call start() under
// ASSERT_NO_FATAL_FAILURE; stop() (or the destructor) closes the client, then kills the sim.
class SimProcess {
 public:
  void start(const std::filesystem::path& dir) {
    using namespace std::chrono_literals;
    process_ = std::make_unique<Process>(std::vector<std::string>{SGEVENTD_BINARY, "sim", "--port", "0"},
                                         std::map<std::string, std::string>{}, (dir / "sim.stderr").string());
    for (int i = 0; i < 20 && port_ == 0; ++i) {
      auto line = process_->readLine(10s);
      ASSERT_TRUE(line) << "the sim printed no address";
      if (auto at = line->find("http://127.0.0.1:"); at != std::string::npos) {
        port_ = std::stoi(line->substr(at + 17));
      }
    }
    ASSERT_GT(port_, 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void stop() {
    http_.reset();
    process_.reset();
  }

  int port() const { return port_; }
  httplib::Client& http() { return *http_; }
  // POSTs `body` to the control API; the reply's JSON, or null (and a test failure) if it did not answer 200.
  nlohmann::json post(const std::string& path, const nlohmann::json& body) {
    auto r = http_->Post(path.c_str(), body.dump(), "application/json");
    if (!r || r->status != 200) {
      ADD_FAILURE() << "POST " << path << " failed";
      return nullptr;
    }
    return nlohmann::json::parse(r->body);
  }

 private:
  std::unique_ptr<Process> process_;
  std::unique_ptr<httplib::Client> http_;  // after process_, so it goes first
  int port_ = 0;
};

}  // namespace sgeventd::testing
