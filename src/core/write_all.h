#pragma once
// The one write(2) loop in sgeventd: whole buffers despite partial writes and signals.
#include <string_view>

#include "core/expected.h"

namespace sgeventd::core {

// Writes all of `data` to `fd`, retrying after EINTR and continuing after a partial write. A short
// write that makes no progress, or any other error, fails with errno as the code and the bytes left
// unwritten in the message; what was written before stays written.
Expected<void> writeAll(int fd, std::string_view data);

}  // namespace sgeventd::core
