#pragma once
// The end of a connection the server chose to close (idle past the keep-alive timeout, or the last request
// it allows). A plain close() answers any byte the client sends afterwards with a reset, and a client that
// had not yet seen the FIN fails its next call (Python's http.client raises BrokenPipeError half-way
// through sending). Here the server sends its FIN but keeps the socket open for reading: a request that
// crosses the FIN is read and dropped, the client sees an orderly end of stream (RemoteDisconnected, which
// httplib2 and urllib3 retry on a new connection; libcurl notices the FIN before reuse), and the socket
// is closed once the client closes its side, or after `hold`, or when too many are waiting.
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>

#include "core/unique_fd.h"

namespace sgeventd::http {

class HalfCloser {
 public:
  struct Options {
    std::chrono::milliseconds hold{std::chrono::hours(1)};
    std::size_t maxSockets = 1024;  // past this, the longest-waiting socket is closed outright
  };

  explicit HalfCloser(Options options);
  ~HalfCloser();  // closes every socket still held
  HalfCloser(const HalfCloser&) = delete;
  HalfCloser& operator=(const HalfCloser&) = delete;

  // Sends the FIN on `socket` and takes it over.
  void close(int socket);
  std::size_t held() const;

 private:
  struct Held {
    int fd;
    std::chrono::steady_clock::time_point until;
  };
  void run();
  void drop(int fd);   // under mutex_
  bool drain(int fd);  // false once the client has closed or the socket failed

  const Options options_;
  core::UniqueFd epoll_;
  core::UniqueFd wake_;  // eventfd: stop, or a new deadline
  mutable std::mutex mutex_;
  std::deque<Held> held_;  // in order of arrival, so deadlines are in order too
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sgeventd::http
