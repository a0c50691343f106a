#pragma once
// One logger of the hierarchy: an optional level of its own, its handlers, and the parent it
// propagates to.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "logging/handler.h"

namespace sgeventd::logging {

class NodeLogger final : public core::Logger {
 public:
  static constexpr int kNotSet = 0;

  NodeLogger(std::string name, std::shared_ptr<NodeLogger> parent, int level,
             std::vector<HandlerPtr> handlers, core::ClockPtr clock)
      : name_(std::move(name)),
        parent_(std::move(parent)),
        handlers_(std::move(handlers)),
        clock_(std::move(clock)),
        level_(level) {}

  const std::string& name() const override { return name_; }
  bool enabled(core::LogLevel level) const override { return static_cast<int>(level) >= effectiveLevel(); }
  void log(core::LogLevel level, std::string_view message) override { logAt(level, message, {}); }
  void logAt(core::LogLevel level, std::string_view message, const core::SourceLocation& where) override;

  void setLevel(int level) { level_.store(level, std::memory_order_relaxed); }
  // The first level set on the way up to root (Python's getEffectiveLevel).
  int effectiveLevel() const;
  const std::shared_ptr<NodeLogger>& parent() const { return parent_; }

 private:
  const std::string name_;
  const std::shared_ptr<NodeLogger> parent_;
  const std::vector<HandlerPtr> handlers_;
  const core::ClockPtr clock_;
  std::atomic<int> level_;
};

}  // namespace sgeventd::logging
