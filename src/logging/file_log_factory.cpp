#include "logging/file_log_factory.h"

#include "logging/node_logger.h"

namespace sgeventd::logging {

namespace {

constexpr std::string_view kPluginPrefix = "plugin.";

}  // namespace

// Called with mutex_ held, or before the factory is shared (configure()).
Expected<HandlerPtr> FileLogFactory::fileHandler(const std::filesystem::path& path) {
  auto file =
      MidnightRotatingFile::open(path.string(), settings_.clock, MidnightRotatingFile::kDefaultBackupCount,
                                 settings_.midnightRotation ? MidnightRotatingFile::Rotation::Midnight
                                                            : MidnightRotatingFile::Rotation::Off);
  if (!file) {
    return tl::unexpected(file.error());
  }
  files_.push_back(*file);
  return HandlerPtr(std::make_shared<FileHandler>(std::move(*file)));
}

std::vector<std::string> FileLogFactory::reopenFiles() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> failures;
  std::erase_if(files_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : files_) {
    if (auto file = weak.lock()) {
      if (auto reopened = file->reopen(); !reopened) {
        failures.push_back(reopened.error().message);
      }
    }
  }
  return failures;
}

FileLogFactory::FileLogFactory(LogSettings settings) : settings_(std::move(settings)) {
  if (!settings_.clock) {
    settings_.clock = core::systemClock();
  }
}

FileLogFactory::~FileLogFactory() = default;

Expected<std::shared_ptr<FileLogFactory>> FileLogFactory::create(LogSettings settings) {
  std::shared_ptr<FileLogFactory> factory(new FileLogFactory(std::move(settings)));
  SGEVENTD_TRY(factory->configure());
  return factory;
}

Expected<void> FileLogFactory::configure() {
  if (settings_.logFile.empty()) {
    return fail("no log file configured (logFile is empty)");
  }
  std::error_code ec;
  if (settings_.logPath) {
    logFolder_ = *settings_.logPath;
    if (std::filesystem::exists(logFolder_, ec) && !std::filesystem::is_directory(logFolder_, ec)) {
      return fail("logPath " + logFolder_.string() + " is a file, not a folder");
    }
    std::filesystem::create_directories(logFolder_, ec);
    if (ec) {
      return fail("cannot create logPath " + logFolder_.string() + ": " + ec.message());
    }
    mainLogPath_ = logFolder_ / settings_.logFile;
  } else {
    mainLogPath_ = settings_.logFile;
    logFolder_ = mainLogPath_.parent_path();
  }

  const int level = static_cast<int>(settings_.level);
  const auto& clock = settings_.clock;
  // Every logMode writes the main log: through root in mode 0, through engine otherwise.
  auto mainFile = fileHandler(mainLogPath_);
  if (!mainFile) {
    return tl::unexpected(mainFile.error());
  }
  mainFile_ = std::move(*mainFile);
  std::vector<HandlerPtr> rootHandlers;
  if (settings_.logMode == 0) {
    rootHandlers.push_back(mainFile_);
  }
  if (settings_.foreground) {
    rootHandlers.push_back(std::make_shared<StreamHandler>(settings_.foregroundFd));
  }
  root_ = std::make_shared<NodeLogger>("root", nullptr, static_cast<int>(core::LogLevel::Warning),
                                       std::move(rootHandlers), clock);

  std::vector<HandlerPtr> engineHandlers;
  if (settings_.logMode != 0) {
    engineHandlers.push_back(mainFile_);
  }
  if (settings_.alerts) {
    engineHandlers.push_back(settings_.alerts);
  }
  loggers_["engine"] = std::make_shared<NodeLogger>("engine", root_, level, std::move(engineHandlers), clock);

  std::vector<HandlerPtr> timingHandlers;
  if (settings_.timingLog) {
    auto handler = fileHandler(timingLogPath());
    if (!handler) {
      return tl::unexpected(handler.error());
    }
    timingHandlers.push_back(std::move(*handler));
  }
  loggers_["timing"] = std::make_shared<NodeLogger>("timing", settings_.timingToRoot ? root_ : nullptr, level,
                                                    std::move(timingHandlers), clock);
  return {};
}

std::filesystem::path FileLogFactory::pluginLogPath(const std::string& plugin) const {
  return logFolder_ / ("plugin." + plugin);
}

core::LoggerPtr FileLogFactory::get(const std::string& name) {
  std::lock_guard lock(mutex_);
  return getLocked(name);
}

void FileLogFactory::setLevel(const std::string& name, core::LogLevel level) {
  std::lock_guard lock(mutex_);
  getLocked(name)->setLevel(static_cast<int>(level));
}

std::shared_ptr<NodeLogger> FileLogFactory::nearestAncestor(const std::string& name) const {
  for (auto dot = name.rfind('.'); dot != std::string::npos; dot = name.rfind('.', dot - 1)) {
    if (auto it = loggers_.find(name.substr(0, dot)); it != loggers_.end()) {
      return it->second;
    }
    if (dot == 0) {
      break;
    }
  }
  return root_;
}

std::shared_ptr<NodeLogger> FileLogFactory::getLocked(const std::string& name) {
  if (name.empty() || name == "root") {
    return root_;
  }
  if (auto it = loggers_.find(name); it != loggers_.end()) {
    return it->second;
  }
  std::shared_ptr<NodeLogger> logger;
  auto ancestor = nearestAncestor(name);
  const bool underPlugin = ancestor != root_ && ancestor->name().rfind(kPluginPrefix, 0) == 0;
  if (name.rfind(kPluginPrefix, 0) == 0 && name.size() > kPluginPrefix.size() && !underPlugin) {
    // A plugin logger. A callback logger asked for before its plugin's ("plugin.a.cb") creates the
    // plugin's first; a plugin whose name has dots must ask for its own logger first.
    const auto end = name.find('.', kPluginPrefix.size());
    const std::string pluginLoggerName = name.substr(0, end);
    logger = makePluginLogger(pluginLoggerName, pluginLoggerName.substr(kPluginPrefix.size()));
    loggers_[pluginLoggerName] = logger;
    if (end == std::string::npos) {
      return logger;
    }
    ancestor = logger;
  }
  logger = std::make_shared<NodeLogger>(name, ancestor, NodeLogger::kNotSet, std::vector<HandlerPtr>{},
                                        settings_.clock);
  loggers_[name] = logger;
  return logger;
}

std::shared_ptr<NodeLogger> FileLogFactory::makePluginLogger(const std::string& name,
                                                             const std::string& plugin) {
  std::vector<HandlerPtr> handlers;
  if (settings_.logMode == 1) {
    auto handler = fileHandler(pluginLogPath(plugin));
    if (handler) {
      handlers.push_back(std::move(*handler));
    } else {
      loggers_["engine"]->error("Plugin " + plugin +
                                " logs to the main log instead: " + handler.error().message);
      handlers.push_back(mainFile_);
    }
  }
  if (settings_.alerts) {
    handlers.push_back(settings_.alerts);
  }
  return std::make_shared<NodeLogger>(name, root_, static_cast<int>(settings_.level), std::move(handlers),
                                      settings_.clock);
}

}  // namespace sgeventd::logging
