#include "core/write_all.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sgeventd::core {

Expected<void> writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      return fail("write failed with " + std::to_string(data.size()) + " bytes left: " + std::strerror(err),
                  err);
    }
    if (written == 0) {
      // Only a zero-length request may return 0; treat it as "no space" rather than spin.
      return fail("write made no progress with " + std::to_string(data.size()) + " bytes left", ENOSPC);
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

}  // namespace sgeventd::core
