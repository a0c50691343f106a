#include "logging/midnight_rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <regex>
#include <vector>

#include "core/write_all.h"

namespace sgeventd::logging {

namespace {

using SysTime = std::chrono::system_clock::time_point;

std::string localDate(SysTime t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &local);
  return text;
}

}  // namespace

SysTime nextLocalMidnight(SysTime t) {
  // to_time_t truncates towards zero; floor keeps an instant just before midnight on its own day.
  const std::time_t seconds = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm local{};
  localtime_r(&seconds, &local);
  local.tm_hour = 0;
  local.tm_min = 0;
  local.tm_sec = 0;
  local.tm_mday += 1;
  local.tm_isdst = -1;  // let mktime decide: the day after may be on the other side of a DST change
  return std::chrono::system_clock::from_time_t(std::mktime(&local));
}

MidnightRotatingFile::MidnightRotatingFile(std::string path, core::ClockPtr clock, int backupCount,
                                           Rotation rotation)
    : path_(std::move(path)), clock_(std::move(clock)), backupCount_(backupCount), rotation_(rotation) {}

Expected<std::shared_ptr<MidnightRotatingFile>> MidnightRotatingFile::open(std::string path,
                                                                           core::ClockPtr clock,
                                                                           int backupCount,
                                                                           Rotation rotation) {
  std::shared_ptr<MidnightRotatingFile> file(new MidnightRotatingFile(
      std::move(path), clock ? std::move(clock) : core::systemClock(), backupCount, rotation));
  // As Python: an existing file rotates at the midnight after its last change, so a daemon stopped
  // over night still renames yesterday's file at its first write.
  SysTime basis = file->clock_->now();
  struct stat info {};
  if (::stat(file->path_.c_str(), &info) == 0) {
    basis = std::chrono::system_clock::from_time_t(info.st_mtime);
  }
  file->rolloverAt_ = nextLocalMidnight(basis);
  SGEVENTD_TRY(file->reopenLocked());
  return file;
}

MidnightRotatingFile::~MidnightRotatingFile() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Expected<void> MidnightRotatingFile::reopen() {
  std::lock_guard lock(mutex_);
  return reopenLocked();
}

Expected<void> MidnightRotatingFile::reopenLocked() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    return fail("cannot open log file " + path_ + ": " + std::strerror(errno));
  }
  return {};
}

void MidnightRotatingFile::write(std::string_view text) {
  std::lock_guard lock(mutex_);
  const SysTime now = clock_->now();
  if (rotation_ == Rotation::Midnight && now >= rolloverAt_) {
    rotate(now);
  }
  if (fd_ < 0 && !reopenLocked()) {
    return;  // nowhere to write; the next record tries again
  }
  // A full disk loses the line; the next one tries again.
  (void)core::writeAll(fd_, text);
}

void MidnightRotatingFile::rotate(SysTime now) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  // Named after the day that ended at rolloverAt_ (the last instant before that midnight).
  const std::string dated = path_ + "." + localDate(rolloverAt_ - std::chrono::seconds(1));
  std::error_code ec;
  if (std::filesystem::exists(path_, ec)) {
    std::filesystem::remove(dated, ec);
    std::filesystem::rename(path_, dated, ec);
  }
  deleteOldBackups();
  (void)reopenLocked();
  rolloverAt_ = nextLocalMidnight(now);
}

void MidnightRotatingFile::deleteOldBackups() {
  if (backupCount_ <= 0) {
    return;
  }
  const std::filesystem::path base(path_);
  const std::string prefix = base.filename().string() + ".";
  static const std::regex kDatedSuffix(R"(^\d{4}-\d{2}-\d{2}(\.\w+)?$)");
  std::vector<std::filesystem::path> backups;
  std::error_code ec;
  const auto folder = base.has_parent_path() ? base.parent_path() : std::filesystem::path(".");
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        std::regex_match(name.substr(prefix.size()), kDatedSuffix)) {
      backups.push_back(entry.path());
    }
  }
  if (backups.size() <= static_cast<std::size_t>(backupCount_)) {
    return;
  }
  std::sort(backups.begin(), backups.end());
  for (std::size_t i = 0; i + static_cast<std::size_t>(backupCount_) < backups.size(); ++i) {
    std::filesystem::remove(backups[i], ec);
  }
}

}  // namespace sgeventd::logging
