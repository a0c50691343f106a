#include <climits>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>

#include "config/daemon_config.h"

namespace sgeventd::config {

namespace fs = std::filesystem;

namespace {

bool isFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// Why a path the operator named cannot be read as a config: "does not exist", "is a directory"...
std::optional<std::string> notAFile(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (fs::is_regular_file(status)) {
    return std::nullopt;
  }
  if (fs::is_directory(status)) {
    return "is a directory, not a config file";
  }
  if (fs::exists(status)) {
    return "is not a regular file";
  }
  return "does not exist";
}

// The folder of the running binary, as the original's realpath(abspath(sys.argv[0])). A bare name
// ("sgeventd") was found through $PATH, so it is looked up there.
std::optional<fs::path> binaryFolder(const std::string& argv0, const Environment& env) {
  if (argv0.empty() || argv0 == "-c") {
    return std::nullopt;
  }
  std::string candidate = argv0;
  if (argv0.find('/') == std::string::npos) {
    candidate.clear();
    const auto path = env.find("PATH");
    const std::string dirs = path == env.end() ? "" : path->second;
    std::size_t start = 0;
    while (start <= dirs.size()) {
      auto colon = dirs.find(':', start);
      if (colon == std::string::npos) {
        colon = dirs.size();
      }
      const std::string dir = dirs.substr(start, colon - start);
      const std::string full = (fs::path(dir.empty() ? "." : dir) / argv0).string();
      if (isFile(full)) {
        candidate = full;
        break;
      }
      start = colon + 1;
    }
    if (candidate.empty()) {
      return std::nullopt;
    }
  }
  char resolved[PATH_MAX];
  if (::realpath(candidate.c_str(), resolved) == nullptr) {
    return std::nullopt;
  }
  return fs::path(resolved).parent_path();
}

}  // namespace

Expected<std::string, std::string> locateConfig(const std::optional<std::string>& cliPath,
                                                const Environment& env, const std::string& argv0,
                                                std::string_view cliOrigin) {
  if (cliPath) {
    if (auto problem = notAFile(*cliPath)) {
      return unexpected("config file " + *cliPath + " (" + std::string(cliOrigin) + ") " + *problem);
    }
    return *cliPath;
  }
  if (auto it = env.find("SGEVENTD_CONFIG"); it != env.end() && !it->second.empty()) {
    if (auto problem = notAFile(it->second)) {
      return unexpected("config file " + it->second + " (from $SGEVENTD_CONFIG) " + *problem);
    }
    return it->second;
  }
  std::vector<std::string> searched;
  if (auto folder = binaryFolder(argv0, env)) {
    searched.push_back((*folder / kConfigFileName).string());
  }
  searched.push_back((fs::path("/etc") / kConfigFileName).string());
  searched.push_back((fs::path("/etc/sgeventd") / kConfigFileName).string());  // the Debian package's
  for (const auto& candidate : searched) {
    if (isFile(candidate)) {
      return candidate;
    }
  }
  std::string list;
  for (const auto& candidate : searched) {
    list += (list.empty() ? "" : ", ") + candidate;
  }
  return unexpected("config path not found, searched " + list + " (use -c PATH or $SGEVENTD_CONFIG)");
}

}  // namespace sgeventd::config
