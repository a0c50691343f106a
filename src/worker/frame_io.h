#pragma once
// The framing of the worker protocol (docs/worker-protocol.md): each message is a 4-byte big-endian
// length followed by that many bytes of JSON. A length beyond kMaxFrame is a broken peer, not a message.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.h"

namespace sgeventd::worker {

inline constexpr std::uint32_t kMaxFrame = 64u << 20;

// Writes frames to one descriptor from any number of threads; each frame goes out whole.
class FrameWriter {
 public:
  explicit FrameWriter(int fd) : fd_(fd) {}
  Expected<void> write(std::string_view payload);

 private:
  int fd_;
  std::mutex mutex_;
  std::string buffer_;
};

// Reads frames from one descriptor, from one thread.
class FrameReader {
 public:
  explicit FrameReader(int fd) : fd_(fd) {}
  // The next frame; nullopt when the peer closed between two frames. A frame cut short, an oversized
  // length or a read error is an error.
  Expected<std::optional<std::string>> next();

 private:
  // Reads until `buffer_` holds `want` bytes past `start_`; false at end of file.
  Expected<bool> fill(std::size_t want);

  int fd_;
  std::string buffer_;
  std::size_t start_ = 0;
};

}  // namespace sgeventd::worker
