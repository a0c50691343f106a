#pragma once
// A log file that behaves like Python's TimedRotatingFileHandler(path, "midnight", backupCount=10):
// at the first write after local midnight the file is renamed to "<file>.YYYY-MM-DD" (the day that
// ended) and the oldest dated files beyond the backup count are deleted. Every line goes to the kernel
// with one write(2) before write() returns, so a kill -9 loses no finished line.
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/expected.h"

namespace sgeventd::logging {

class MidnightRotatingFile {
 public:
  static constexpr int kDefaultBackupCount = 10;

  static Expected<std::shared_ptr<MidnightRotatingFile>> open(std::string path, core::ClockPtr clock,
                                                              int backupCount = kDefaultBackupCount);
  ~MidnightRotatingFile();
  MidnightRotatingFile(const MidnightRotatingFile&) = delete;
  MidnightRotatingFile& operator=(const MidnightRotatingFile&) = delete;

  // Appends `text` (one or more whole lines); rotates first when midnight has passed. Thread-safe.
  void write(std::string_view text);
  const std::string& path() const { return path_; }

 private:
  MidnightRotatingFile(std::string path, core::ClockPtr clock, int backupCount);
  Expected<void> reopen();
  void rotate(std::chrono::system_clock::time_point now);
  void deleteOldBackups();

  const std::string path_;
  const core::ClockPtr clock_;
  const int backupCount_;
  std::mutex mutex_;
  int fd_ = -1;
  std::chrono::system_clock::time_point rolloverAt_;
};

// The first local midnight strictly after `t`.
std::chrono::system_clock::time_point nextLocalMidnight(std::chrono::system_clock::time_point t);

}  // namespace sgeventd::logging
