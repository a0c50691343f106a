#include "store/state_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/unique_fd.h"
#include "core/write_all.h"

namespace sgeventd::store {

namespace {

std::string utcNow() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

Expected<void> failWith(const std::string& what, const std::string& path) {
  return fail("cannot " + what + " the state marker " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string markerPath(const std::string& dbPath) { return dbPath + ".first-start"; }

bool markerExists(const std::string& dbPath) {
  std::error_code ec;
  return std::filesystem::exists(markerPath(dbPath), ec);
}

Expected<void> writeMarker(const std::string& dbPath) {
  const std::string path = markerPath(dbPath);
  const std::string temporary = path + ".tmp";
  const std::string text =
      "sgeventd first wrote its state database " + dbPath + " on " + utcNow() +
      ".\nWhile this file exists, a missing or empty database is a lost state: sgeventd refuses to start\n"
      "until the database is restored from a backup or it is started once with --fresh-start.\n";
  {
    core::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) {
      return failWith("create", temporary);
    }
    if (auto written = core::writeAll(fd.get(), text); !written) {
      return fail("cannot write the state marker " + temporary + ": " + written.error().message);
    }
    if (::fsync(fd.get()) != 0) {
      return failWith("flush", temporary);
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    return failWith("rename", temporary);
  }
  // The rename is durable only once the folder is flushed.
  const auto folder = std::filesystem::path(path).parent_path();
  core::UniqueFd dir(::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) {
    (void)::fsync(dir.get());
  }
  return {};
}

}  // namespace sgeventd::store
