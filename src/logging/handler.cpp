#include "logging/handler.h"

#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "logging/record_format.h"

namespace sgeventd::logging {

void FileHandler::emit(const Record& record) {
  file_->write(formatFileRecord(record.time, record.logger, record.level, record.message));
}

void StreamHandler::emit(const Record& record) {
  const std::string line = formatStreamRecord(record.logger, record.level, record.message);
  // One write per record keeps lines of concurrent threads whole.
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t written = ::write(fd_, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace sgeventd::logging
