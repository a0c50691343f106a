// `sgeventd [-c CONF] status`: is a daemon running on this configuration? It is when a live sgeventd
// holds the lock of the config's state database (a daemon in the foreground, under systemd or in a
// container writes no pid file, but always holds that lock). Exit status as an init script's status
// action: 0 running, 3 not running, 1 when the config cannot be read. The container's HEALTHCHECK.
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "app/cli.h"
#include "app/daemon_control.h"
#include "app/load_config.h"
#include "store/daemon_lock.h"

namespace sgeventd::app {

namespace {

constexpr int kNotRunning = 3;  // LSB init script status code

// The pid holding an exclusive flock on `path`, from /proc/locks (read-only: taking the lock to test it
// could make a daemon starting at that instant fail). nullopt when nobody holds it; `readable` false
// when /proc/locks cannot be read.
std::optional<pid_t> flockHolder(const std::string& path, bool& readable) {
  readable = false;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    readable = true;  // no lock file: nobody can hold it
    return std::nullopt;
  }
  std::ifstream locks("/proc/locks");
  if (!locks) {
    return std::nullopt;
  }
  readable = true;
  // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (device numbers in hex, the inode in decimal).
  const std::string device =
      fmt::format("{:02x}:{:02x}:{}", major(info.st_dev), minor(info.st_dev), info.st_ino);
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string index, kind, mode, access, where;
    long pid = 0;
    if (!(fields >> index >> kind)) {
      continue;
    }
    if (kind == "->") {  // a waiter, not the holder
      continue;
    }
    if (fields >> mode >> access >> pid >> where && kind == "FLOCK" && access == "WRITE" && where == device &&
        pid > 0) {
      return static_cast<pid_t>(pid);
    }
  }
  return std::nullopt;
}

int runStatus(const config::DaemonConfig& c) {
  const std::string lockFile = c.stateDatabase + ".lock";
  bool readable = false;
  auto holder = flockHolder(lockFile, readable);
  if (!readable) {
    // No /proc/locks (unusual): trust the pid the lock file names.
    if (auto pid = store::lockOwnerPid(c.stateDatabase); pid && isLiveSgeventd(static_cast<pid_t>(*pid))) {
      holder = static_cast<pid_t>(*pid);
    }
  }
  if (!holder) {
    std::cout << fmt::format("sgeventd is not running (no daemon holds {})\n", lockFile);
    return kNotRunning;
  }
  // In another pid namespace /proc/locks shows 0 or no entry; a holder we see must be alive.
  if (!isLiveSgeventd(*holder)) {
    std::cout << fmt::format("sgeventd is not running ({} is held by pid {}, which is not sgeventd)\n",
                             lockFile, *holder);
    return kNotRunning;
  }
  std::cout << fmt::format("sgeventd is running (pid {}, state database {})\n", *holder, c.stateDatabase);
  return 0;
}

}  // namespace

void registerStatusCommand(CLI::App& root, CommandLine& cl) {
  root.add_subcommand("status",
                      "Tell whether a daemon runs on this config (exit 0), or not (exit 3); the health check")
      ->callback([&cl] {
        cl.action = [&cl] {
          auto c = loadConfigForCommand(cl);
          return c ? runStatus(*c) : 1;
        };
      });
}

}  // namespace sgeventd::app
