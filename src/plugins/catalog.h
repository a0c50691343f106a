#pragma once
// The set of plugin files in the configured folders, loaded and kept current: discovery, naming and
// ordering as the original's PluginCollection (spec §3.1), reloads on any change of mtime, size or inode
// (not only a newer mtime, original issue #22), and a forced reload for SIGHUP.
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugins/plugin.h"

namespace sgeventd::plugins {

// One `paths` entry of the config.
struct PluginPath {
  std::string asWritten;           // keys the plugin state, as the original does
  std::filesystem::path resolved;  // where to look; made absolute by the catalog
};

// One plugin file in dispatch order. A reload is built and validated before it replaces anything: when
// it fails while an earlier version runs, that version keeps running (plugin and generation unchanged)
// and reloadError says why, so a broken edit never stops a working plugin.
struct PluginSlot {
  PluginId id;
  PluginPtr plugin;         // the running version; null when no version of the file has loaded
  std::string loadError;    // why, when plugin is null
  std::string reloadError;  // the last failed reload's reason while `plugin` runs; "" otherwise
  // Changes with what the engine must act on: every successful load, and every new failure while no
  // version runs. A failed reload under a running version, or a forced reload failing the same way
  // again, leaves it as it was.
  std::uint64_t generation = 0;
};

// What identifies one version of a file on disk.
struct FileSignature {
  std::int64_t mtimeNs = 0;
  std::int64_t size = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  bool operator==(const FileSignature&) const = default;
};

class PluginCatalog {
 public:
  // Logs on "engine" and "plugin.<name>" through `context.logs` (nothing is logged when it is null).
  PluginCatalog(std::vector<PluginPath> paths, std::vector<PluginLoaderPtr> loaders, HostContext context);

  // Rescans every folder, (re)loads what changed, drops what disappeared; returns the current set in
  // dispatch order: folders in config order, then files sorted by basename (codepoint order).
  std::vector<PluginSlot> refresh();
  // The same, reloading every file whether it changed or not (SIGHUP).
  std::vector<PluginSlot> forceReload();
  // Loads the one plugin with this key (PluginId::key()) again, changed or not, by the same build,
  // validate, swap rule; the set as of then. An unknown key, or a file gone from disk, is a plain refresh.
  std::vector<PluginSlot> reload(const std::string& key);
  // The set as of the last refresh.
  std::vector<PluginSlot> current() const;
  // The folders to watch for changes (resolved, absolute).
  std::vector<std::filesystem::path> directories() const;
  const HostContext& context() const { return context_; }

 private:
  struct Entry {
    PluginSlot slot;
    FileSignature signature;
    // The file version whose failure was logged last, and that failure: a failing file is logged once
    // per version, so a forced reload of an unchanged file does not repeat its traceback.
    std::optional<FileSignature> failedSignature;
    std::string failedMessage;
  };
  struct Collection {
    PluginPath path;
    std::map<std::string, Entry> entries;  // by basename; std::string order is byte, i.e. codepoint, order
    bool unreadable = false;               // logged once until it can be read again
  };
  struct Candidate {
    std::filesystem::path file;
    PluginLoader* loader;
    FileSignature signature;
  };

  std::vector<PluginSlot> scan(bool force);
  std::map<std::string, Candidate> listCandidates(Collection& collection, bool& listed);
  PluginLoader* loaderFor(const std::filesystem::path& file) const;
  void load(Entry& entry, PluginLoader& loader, bool reload);
  void logLoadError(const PluginId& id, const Error& error);
  void noteSkipped(const std::filesystem::path& file, const std::string& why, bool warning);
  std::vector<PluginSlot> snapshot() const;

  std::vector<PluginLoaderPtr> loaders_;
  HostContext context_;
  core::LoggerPtr engineLog_;
  mutable std::mutex mutex_;  // refresh() against current() from another thread
  std::vector<Collection> collections_;
  std::set<std::string> skippedOnce_;
  std::uint64_t nextGeneration_ = 1;
};

// How discovery treats a folder entry whose name a loader handles: the original's rules (spec §3.1)
// without its crashes. Shared by the catalog and `sgeventd plugins`.
enum class EntryKind {
  Plugin,
  Hidden,         // a name starting with "."
  PackageMarker,  // __init__.py: the original deactivated it with a CRITICAL line
  NotAFile,       // a folder named x.py: the original died with ValueError
};
EntryKind classifyEntry(const std::filesystem::path& file);

// The signature of `file`, or nullopt when it cannot be stat()ed.
std::optional<FileSignature> fileSignature(const std::filesystem::path& file);

}  // namespace sgeventd::plugins
