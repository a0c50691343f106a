#pragma once
// A log file that behaves like Python's TimedRotatingFileHandler(path, "midnight", backupCount=10):
// at the first write after local midnight the file is renamed to "<file>.YYYY-MM-DD" (the day that
// ended) and the oldest dated files beyond the backup count are deleted. Every line goes to the kernel
// with one write(2) before write() returns, so a kill -9 loses no finished line.
// With rotation off (`log_rotation: off`) the file is never renamed: an outside tool such as logrotate
// moves it, and reopen() (SIGUSR1) makes the next line go to a new file at the path.
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

  enum class Rotation { Midnight, Off };

  static Expected<std::shared_ptr<MidnightRotatingFile>> open(std::string path, core::ClockPtr clock,
                                                              int backupCount = kDefaultBackupCount,
                                                              Rotation rotation = Rotation::Midnight);
  ~MidnightRotatingFile();
  MidnightRotatingFile(const MidnightRotatingFile&) = delete;
  MidnightRotatingFile& operator=(const MidnightRotatingFile&) = delete;

  // Appends `text` (one or more whole lines); rotates first when midnight has passed. Thread-safe.
  void write(std::string_view text);
  const std::string& path() const { return path_; }
  // Closes the file and opens the path again (creating it): after an outside tool renamed it. Thread-safe.
  Expected<void> reopen();

 private:
  MidnightRotatingFile(std::string path, core::ClockPtr clock, int backupCount, Rotation rotation);
  Expected<void> reopenLocked();
  void rotate(std::chrono::system_clock::time_point now);
  void deleteOldBackups();

  const std::string path_;
  const core::ClockPtr clock_;
  const int backupCount_;
  const Rotation rotation_;
  std::mutex mutex_;
  int fd_ = -1;
  std::chrono::system_clock::time_point rolloverAt_;
};

// The first local midnight strictly after `t`.
std::chrono::system_clock::time_point nextLocalMidnight(std::chrono::system_clock::time_point t);

}  // namespace sgeventd::logging
