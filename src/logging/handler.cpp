#include "logging/handler.h"

#include "core/write_all.h"
#include "logging/record_format.h"

namespace sgeventd::logging {

void FileHandler::emit(const Record& record) {
  file_->write(formatFileRecord(record.time, record.logger, record.level, record.message));
}

void StreamHandler::emit(const Record& record) {
  const std::string line = formatStreamRecord(record.logger, record.level, record.message);
  // One write per record keeps lines of concurrent threads whole. A closed or full stream loses the
  // line: there is nowhere left to report that.
  (void)core::writeAll(fd_, line);
}

}  // namespace sgeventd::logging
