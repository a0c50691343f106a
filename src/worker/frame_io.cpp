#include "worker/frame_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/write_all.h"

namespace sgeventd::worker {

Expected<void> FrameWriter::write(std::string_view payload) {
  if (payload.size() > kMaxFrame) {
    return fail("a worker message of " + std::to_string(payload.size()) + " bytes is over the limit");
  }
  const auto n = static_cast<std::uint32_t>(payload.size());
  std::lock_guard lock(mutex_);
  buffer_.clear();
  buffer_.push_back(static_cast<char>((n >> 24) & 0xff));
  buffer_.push_back(static_cast<char>((n >> 16) & 0xff));
  buffer_.push_back(static_cast<char>((n >> 8) & 0xff));
  buffer_.push_back(static_cast<char>(n & 0xff));
  buffer_.append(payload);
  return core::writeAll(fd_, buffer_);  // one buffer: frames from two threads never interleave
}

Expected<bool> FrameReader::fill(std::size_t want) {
  while (buffer_.size() - start_ < want) {
    if (start_ > 0 && start_ == buffer_.size()) {
      buffer_.clear();
      start_ = 0;
    }
    char chunk[65536];
    const ssize_t got = ::read(fd_, chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == ECONNRESET) {
        return false;  // the peer died with unread data: gone, like a close
      }
      return fail(std::string("reading from the worker channel failed: ") + std::strerror(errno), errno);
    }
    if (got == 0) {
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
  return true;
}

Expected<std::optional<std::string>> FrameReader::next() {
  auto header = fill(4);
  if (!header) {
    return unexpected(header.error());
  }
  if (!*header) {
    if (buffer_.size() != start_) {
      return fail("the worker channel closed inside a frame header");
    }
    return std::optional<std::string>{};
  }
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + start_);
  const std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                          (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  if (n > kMaxFrame) {
    return fail("the worker sent a frame of " + std::to_string(n) + " bytes, over the limit");
  }
  auto body = fill(4 + std::size_t{n});
  if (!body) {
    return unexpected(body.error());
  }
  if (!*body) {
    return fail("the worker channel closed inside a frame");
  }
  std::string payload = buffer_.substr(start_ + 4, n);
  start_ += 4 + std::size_t{n};
  return std::optional<std::string>{std::move(payload)};
}

}  // namespace sgeventd::worker
