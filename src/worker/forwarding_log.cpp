#include "worker/forwarding_log.h"

#include "worker/protocol.h"

namespace sgeventd::worker {
namespace {

class ForwardingLogger final : public core::Logger {
 public:
  ForwardingLogger(std::string name, std::shared_ptr<ForwardingLogFactory> factory)
      : name_(std::move(name)), factory_(std::move(factory)) {}
  const std::string& name() const override { return name_; }
  bool enabled(core::LogLevel level) const override { return factory_->enabled(name_, level); }
  void log(core::LogLevel level, std::string_view message) override { logAt(level, message, {}); }
  void logAt(core::LogLevel level, std::string_view message, const core::SourceLocation& where) override {
    if (enabled(level)) {
      factory_->send(name_, level, message, where);
    }
  }

 private:
  std::string name_;
  std::shared_ptr<ForwardingLogFactory> factory_;
};

}  // namespace

core::LoggerPtr ForwardingLogFactory::get(const std::string& name) {
  return std::make_shared<ForwardingLogger>(name, shared_from_this());
}

void ForwardingLogFactory::setLevel(const std::string& name, core::LogLevel level) {
  {
    std::lock_guard lock(mutex_);
    levels_[name] = level;
  }
  (void)writer_.write(encode(SetLevel{name, level}));  // a closed channel ends the worker anyway
}

bool ForwardingLogFactory::enabled(const std::string& name, core::LogLevel level) const {
  std::lock_guard lock(mutex_);
  std::string at = name;
  for (;;) {
    if (const auto it = levels_.find(at); it != levels_.end()) {
      return level >= it->second;
    }
    const auto dot = at.rfind('.');
    if (dot == std::string::npos) {
      return level >= level_;
    }
    at.resize(dot);
  }
}

void ForwardingLogFactory::send(const std::string& name, core::LogLevel level, std::string_view message,
                                const core::SourceLocation& where) {
  (void)writer_.write(encode(LogRecord{name, level, std::string(message), std::string(where.path),
                                       std::string(where.function), where.line}));
}

}  // namespace sgeventd::worker
