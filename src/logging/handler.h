#pragma once
// Where records go, as Python's logging handlers: a rotating file or the foreground stream.
#include <chrono>
#include <memory>
#include <string_view>

#include "core/log.h"
#include "logging/midnight_rotating_file.h"

namespace sgeventd::logging {

struct Record {
  std::chrono::system_clock::time_point time;
  std::string_view logger;
  core::LogLevel level;
  std::string_view message;
  core::SourceLocation where;  // the caller's file, function and line (the e-mail body shows them)
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Called on the logging thread: must not wait for anything slow (a disk write at most).
  virtual void emit(const Record& record) = 0;
};
using HandlerPtr = std::shared_ptr<Handler>;

class FileHandler final : public Handler {
 public:
  explicit FileHandler(std::shared_ptr<MidnightRotatingFile> file) : file_(std::move(file)) {}
  void emit(const Record& record) override;
  const std::string& path() const { return file_->path(); }

 private:
  std::shared_ptr<MidnightRotatingFile> file_;
};

// Writes the foreground layout to a descriptor the caller owns (stderr in production).
class StreamHandler final : public Handler {
 public:
  explicit StreamHandler(int fd) : fd_(fd) {}
  void emit(const Record& record) override;

 private:
  int fd_;
};

}  // namespace sgeventd::logging
