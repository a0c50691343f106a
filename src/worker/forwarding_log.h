#pragma once
// The worker's loggers: every record a plugin logs goes to the daemon as a LogRecord, so it reaches the
// daemon's files and e-mail handlers exactly as in thread mode. Levels follow Python's: a logger without
// its own level uses its nearest dotted parent's, then the configured `logging` level.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/log.h"
#include "worker/frame_io.h"

namespace sgeventd::worker {

class ForwardingLogFactory : public core::LogFactory,
                             public std::enable_shared_from_this<ForwardingLogFactory> {
 public:
  ForwardingLogFactory(FrameWriter& writer, core::LogLevel level) : writer_(writer), level_(level) {}

  core::LoggerPtr get(const std::string& name) override;
  // A plugin's logger.setLevel: kept here, and told to the daemon so its logger lets the records through.
  void setLevel(const std::string& name, core::LogLevel level);
  bool enabled(const std::string& name, core::LogLevel level) const;
  void send(const std::string& name, core::LogLevel level, std::string_view message,
            const core::SourceLocation& where);

 private:
  FrameWriter& writer_;
  core::LogLevel level_;
  mutable std::mutex mutex_;
  std::map<std::string, core::LogLevel> levels_;
};

}  // namespace sgeventd::worker
