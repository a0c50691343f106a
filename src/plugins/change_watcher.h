#pragma once
// Wakes the plugin refresh early when a plugin folder changes (inotify on the folders). Only a latency
// optimisation: inotify misses changes made by other NFS clients, so polling mtime/size at every refresh
// stays the baseline (style guide §B.9).
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "core/expected.h"
#include "core/unique_fd.h"

namespace sgeventd::plugins {

class ChangeWatcher {
 public:
  static constexpr std::chrono::milliseconds kDefaultDebounce{250};

  static Expected<std::unique_ptr<ChangeWatcher>> create(
      std::chrono::milliseconds debounce = kDefaultDebounce);

  // Watches these folders (replacing the previous set). A folder that does not exist yet is retried at
  // every wait(). Meant for the thread that calls wait(): from another thread it waits for wait() to end.
  void watch(const std::vector<std::filesystem::path>& directories);
  // Blocks up to `timeout`. Returns true once a change was seen and the folder stayed quiet for the
  // debounce period (bounded), false on timeout or wake().
  bool wait(std::chrono::milliseconds timeout);
  // From any thread: makes the current or next wait() return false at once (shutdown).
  void wake();

 private:
  ChangeWatcher(core::UniqueFd inotify, core::UniqueFd wakeFd, std::chrono::milliseconds debounce);
  void addMissingWatches();
  // Reads pending inotify records; returns whether any of them is a change.
  bool drain();
  void debounce();

  core::UniqueFd inotify_;
  core::UniqueFd wake_;
  std::chrono::milliseconds debounce_;
  std::mutex mutex_;  // watch() against wait()
  std::vector<std::filesystem::path> wanted_;
  std::map<int, std::filesystem::path> watches_;  // watch descriptor -> folder
};

}  // namespace sgeventd::plugins
