#include "plugins/catalog.h"

#include <sys/stat.h>

#include <system_error>

namespace sgeventd::plugins {
namespace {

// Stands in when the caller passed no log factory, so a misconfigured host is quiet, not a crash.
class DiscardLogger final : public core::Logger {
 public:
  explicit DiscardLogger(std::string name) : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  bool enabled(core::LogLevel) const override { return false; }
  void log(core::LogLevel, std::string_view) override {}

 private:
  std::string name_;
};

class DiscardLogFactory final : public core::LogFactory {
 public:
  core::LoggerPtr get(const std::string& name) override { return std::make_shared<DiscardLogger>(name); }
};

HostContext withLogs(HostContext context) {
  if (context.logs == nullptr) {
    context.logs = std::make_shared<DiscardLogFactory>();
  }
  return context;
}

}  // namespace

std::optional<FileSignature> fileSignature(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    return std::nullopt;
  }
  FileSignature signature;
  signature.mtimeNs = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  signature.size = static_cast<std::int64_t>(info.st_size);
  signature.inode = static_cast<std::uint64_t>(info.st_ino);
  signature.device = static_cast<std::uint64_t>(info.st_dev);
  return signature;
}

PluginCatalog::PluginCatalog(std::vector<PluginPath> paths, std::vector<PluginLoaderPtr> loaders,
                             HostContext context)
    : loaders_(std::move(loaders)),
      context_(withLogs(std::move(context))),
      engineLog_(context_.logs->get("engine")) {
  for (auto& path : paths) {
    std::error_code error;
    auto absolute = std::filesystem::absolute(path.resolved, error);
    if (!error) {
      path.resolved = absolute.lexically_normal();
    }
    collections_.push_back(Collection{std::move(path), {}, false});
  }
}

std::vector<PluginSlot> PluginCatalog::refresh() { return scan(false); }
std::vector<PluginSlot> PluginCatalog::forceReload() { return scan(true); }

std::vector<PluginSlot> PluginCatalog::reload(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    for (auto& collection : collections_) {
      for (auto& [basename, entry] : collection.entries) {
        if (entry.slot.id.key() != key) {
          continue;
        }
        auto signature = fileSignature(entry.slot.id.path);
        PluginLoader* loader = loaderFor(entry.slot.id.path);
        if (!signature || loader == nullptr) {
          break;  // gone from disk: the rescan below drops it
        }
        entry.signature = *signature;
        load(entry, *loader, true);
        return snapshot();
      }
    }
  }
  return refresh();
}

std::vector<PluginSlot> PluginCatalog::current() const {
  std::lock_guard lock(mutex_);
  return snapshot();
}

std::vector<std::filesystem::path> PluginCatalog::directories() const {
  std::vector<std::filesystem::path> out;
  for (const auto& collection : collections_) {
    out.push_back(collection.path.resolved);
  }
  return out;
}

PluginLoader* PluginCatalog::loaderFor(const std::filesystem::path& file) const {
  for (const auto& loader : loaders_) {
    if (loader->handles(file)) {
      return loader.get();
    }
  }
  return nullptr;
}

void PluginCatalog::noteSkipped(const std::filesystem::path& file, const std::string& why, bool warning) {
  if (!skippedOnce_.insert(file.string()).second) {
    return;
  }
  const std::string message = "Skipping " + file.string() + ": " + why + ".";
  if (warning) {
    engineLog_->warning(message);
  } else {
    engineLog_->debug(message);
  }
}

EntryKind classifyEntry(const std::filesystem::path& file) {
  const std::string basename = file.filename().string();
  if (basename.empty() || basename.front() == '.') {
    return EntryKind::Hidden;
  }
  if (file.stem() == "__init__") {
    return EntryKind::PackageMarker;
  }
  std::error_code error;
  return std::filesystem::is_regular_file(file, error) ? EntryKind::Plugin : EntryKind::NotAFile;
}

std::map<std::string, PluginCatalog::Candidate> PluginCatalog::listCandidates(Collection& collection,
                                                                              bool& listed) {
  std::map<std::string, Candidate> candidates;
  std::error_code error;
  std::filesystem::directory_iterator it(collection.path.resolved, error);
  std::filesystem::directory_iterator end;
  for (; !error && it != end; it.increment(error)) {
    const auto& file = it->path();
    const std::string basename = file.filename().string();
    PluginLoader* loader = loaderFor(file);
    if (loader == nullptr) {
      continue;
    }
    const EntryKind kind = classifyEntry(file);
    if (kind == EntryKind::Hidden) {
      continue;
    }
    if (kind == EntryKind::PackageMarker) {
      noteSkipped(file, "a package marker is not a plugin", false);
      continue;
    }
    if (kind == EntryKind::NotAFile) {
      noteSkipped(file, "not a regular file", true);
      continue;
    }
    auto signature = fileSignature(file);
    if (!signature) {
      continue;  // removed between listing and stat: gone for this scan
    }
    candidates.emplace(basename, Candidate{file, loader, *signature});
  }
  listed = !error;
  if (error) {
    if (!collection.unreadable) {
      engineLog_->warning("Could not read the plugin folder " + collection.path.resolved.string() + ": " +
                          error.message() +
                          ". Keeping its plugins as they are and retrying at the next scan.");
      collection.unreadable = true;
    }
  } else if (collection.unreadable) {
    engineLog_->info("The plugin folder " + collection.path.resolved.string() + " is readable again.");
    collection.unreadable = false;
  }
  return candidates;
}

void PluginCatalog::load(Entry& entry, PluginLoader& loader, bool reload) {
  const std::string path = entry.slot.id.path.string();
  engineLog_->info((reload ? "Reloading plugin at " : "Loading plugin at ") + path);
  // The new version is built beside the running one and replaces it only once it has loaded.
  auto loaded = loader.load(entry.slot.id, context_);
  if (loaded && *loaded != nullptr) {
    entry.slot.plugin = std::move(*loaded);  // the previous version unloads once its in-flight calls finish
    entry.slot.loadError.clear();
    entry.slot.reloadError.clear();
    entry.slot.generation = nextGeneration_++;
    entry.failedSignature.reset();
    entry.failedMessage.clear();
    return;
  }
  const Error error =
      loaded ? Error{"the loader returned no plugin", static_cast<int>(LoadErrorKind::Load)} : loaded.error();
  const bool running = entry.slot.plugin != nullptr;
  // Only a forced reload (SIGHUP) loads an unchanged file again; the same failure of the same file
  // version gets one short line instead of its whole traceback again.
  if (entry.failedSignature == entry.signature && entry.failedMessage == error.message) {
    engineLog_->warning("Plugin at " + path + " still fails to load; the file is unchanged since its error " +
                        (running ? "was logged, and its previous version keeps running." : "was logged."));
    return;
  }
  logLoadError(entry.slot.id, error);
  entry.failedSignature = entry.signature;
  entry.failedMessage = error.message;
  if (running) {
    entry.slot.reloadError = error.message;
    engineLog_->warning("Plugin " + entry.slot.id.name +
                        " keeps running its previous version; fix the file to reload it.");
    return;
  }
  entry.slot.loadError = error.message;
  entry.slot.generation = nextGeneration_++;
}

void PluginCatalog::logLoadError(const PluginId& id, const Error& error) {
  const std::string path = id.path.string();
  switch (static_cast<LoadErrorKind>(error.code)) {
    case LoadErrorKind::Registration:
      engineLog_->critical("Error running register callback function from plugin at " + path + ".\n\n" +
                           error.message);
      break;
    case LoadErrorKind::MissingEntry:
      engineLog_->critical("Did not find a registerCallbacks function in plugin at " + path + ".\n\n" +
                           error.message);
      break;
    case LoadErrorKind::Load:
    default:
      context_.logs->get("plugin." + id.name)
          ->error("Could not load the plugin at " + path + ".\n\n" + error.message);
      break;
  }
}

std::vector<PluginSlot> PluginCatalog::scan(bool force) {
  std::lock_guard lock(mutex_);
  for (auto& collection : collections_) {
    bool listed = false;
    auto candidates = listCandidates(collection, listed);
    if (!listed) {
      continue;
    }
    std::map<std::string, Entry> next;
    for (auto& [basename, candidate] : candidates) {
      auto previous = collection.entries.find(basename);
      if (previous != collection.entries.end()) {
        Entry entry = std::move(previous->second);
        collection.entries.erase(previous);
        if (force || entry.signature != candidate.signature) {
          entry.signature = candidate.signature;
          load(entry, *candidate.loader, true);
        }
        next.emplace(basename, std::move(entry));
        continue;
      }
      Entry entry;
      entry.slot.id = PluginId{collection.path.asWritten, candidate.file.stem().string(), candidate.file};
      entry.signature = candidate.signature;
      load(entry, *candidate.loader, false);
      next.emplace(basename, std::move(entry));
    }
    for (const auto& [basename, gone] : collection.entries) {
      engineLog_->info("Plugin at " + gone.slot.id.path.string() + " was removed; unloading it.");
    }
    collection.entries = std::move(next);
  }
  return snapshot();
}

std::vector<PluginSlot> PluginCatalog::snapshot() const {
  std::vector<PluginSlot> out;
  for (const auto& collection : collections_) {
    for (const auto& [basename, entry] : collection.entries) {
      out.push_back(entry.slot);
    }
  }
  return out;
}

}  // namespace sgeventd::plugins
