#include "app/plugin_listing.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "plugins/catalog.h"
#include "store/state_store.h"

namespace sgeventd::app {
namespace {

namespace fs = std::filesystem;

// The extensions of the loaders the daemon installs (native, Python).
bool isPluginFile(const fs::directory_entry& entry) {
  const auto ext = entry.path().extension().string();
  return (ext == ".so" || ext == ".py") && plugins::classifyEntry(entry.path()) == plugins::EntryKind::Plugin;
}

}  // namespace

int listPlugins(const config::DaemonConfig& c, std::ostream& out) {
  std::map<std::string, store::PluginStatus> statuses;
  std::map<std::string, store::Checkpoint> checkpoints;
  std::optional<std::int64_t> head;
  // Read-only: works while the daemon runs, and says so when there is no state yet.
  if (auto db = store::StateStore::open(c.stateDatabase, store::OpenMode::ReadOnly); db) {
    if (auto s = (*db)->pluginStatuses(); s) {
      for (auto& st : *s) {
        statuses[st.collection + "::" + st.plugin] = st;
      }
    }
    if (auto cps = (*db)->loadCheckpoints(); cps) {
      for (auto& cp : *cps) {
        checkpoints[cp.collection + "::" + cp.plugin] = cp;
      }
    }
    if (auto h = (*db)->head(); h) {
      head = *h;
    }
  }
  out << fmt::format("{:<28} {:<6} {:<12} {:>10} {:>8}  {}\n", "PLUGIN", "KIND", "STATUS", "CURSOR", "LAG",
                     "FILE / REASON");
  for (std::size_t i = 0; i < c.pluginPaths.size(); ++i) {
    const fs::path folder = i < c.resolvedPluginPaths.size() ? c.resolvedPluginPaths[i] : c.pluginPaths[i];
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      if (isPluginFile(entry)) {
        files.push_back(entry.path());
      }
    }
    if (ec) {
      out << fmt::format("{}: cannot list: {}\n", folder.string(), ec.message());
      continue;
    }
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
      return a.filename().string() < b.filename().string();
    });
    for (const auto& file : files) {
      const auto name = file.stem().string();
      const auto key = c.pluginPaths[i] + "::" + name;
      std::string status = "new";
      std::string detail = file.string();
      if (auto it = statuses.find(key); it != statuses.end()) {
        status = std::string(store::pluginStateName(it->second.state));
        if (!it->second.reason.empty()) {
          detail += " (" + it->second.reason + ")";
        }
      }
      std::string cursor = "-";
      std::string lag = "-";
      if (auto it = checkpoints.find(key); it != checkpoints.end()) {
        cursor = std::to_string(it->second.cursor);
        if (head) {
          lag = std::to_string(std::max<std::int64_t>(0, *head - it->second.cursor));
        }
      }
      out << fmt::format("{:<28} {:<6} {:<12} {:>10} {:>8}  {}\n", name,
                         file.extension() == ".py" ? "python" : "native", status, cursor, lag, detail);
    }
    // The store keeps a deleted plugin's position and last status: it is listed as removed, never as the
    // "active" it was when its file went.
    std::map<std::string, std::string> gone;  // name -> its last stored status
    const std::string prefix = c.pluginPaths[i] + "::";
    const auto onDisk = [&files](const std::string& name) {
      return std::any_of(files.begin(), files.end(), [&name](const fs::path& f) { return f.stem() == name; });
    };
    for (const auto& [key, checkpoint] : checkpoints) {
      if (key.rfind(prefix, 0) == 0 && !onDisk(checkpoint.plugin)) {
        gone.emplace(checkpoint.plugin, "active");
      }
    }
    for (const auto& [key, st] : statuses) {
      if (key.rfind(prefix, 0) == 0 && !onDisk(st.plugin)) {
        gone[st.plugin] = std::string(store::pluginStateName(st.state));
      }
    }
    for (const auto& [name, last] : gone) {
      std::string cursor = "-";
      if (auto it = checkpoints.find(prefix + name); it != checkpoints.end()) {
        cursor = std::to_string(it->second.cursor);
      }
      out << fmt::format("{:<28} {:<6} {:<12} {:>10} {:>8}  {}\n", name, "-", "removed", cursor, "-",
                         "no file in " + folder.string() + " (was " + last + ")");
    }
  }
  return 0;
}

}  // namespace sgeventd::app
