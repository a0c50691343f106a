#pragma once
// A cpp-httplib server with its own per-connection loop, for servers that many long-lived clients keep
// connections to (the simulated site):
// - a connection waits for its next request in poll() on the socket and a stop eventfd, with no wake-ups
//   while idle (cpp-httplib polls every 10 ms) and a prompt end on stop();
// - the idle timeout runs only between requests; once a request's first byte is in, the read timeout
//   applies, so the server never closes in the middle of a request;
// - a reply leaves in as few segments as possible (headers and body coalesced, TCP_NODELAY), which
//   is what kept a keep-alive client waiting out its delayed ACK;
// - every close the server chooses goes through a HalfCloser (FIN, then the read side stays open);
// - Accept-Encoding is moved out of cpp-httplib's sight (to kAcceptEncodingHeader) so that only
//   http::Server decides on compression.
#include <httplib.h>

#include <chrono>
#include <cstddef>

#include "core/unique_fd.h"
#include "http/half_closer.h"

namespace sgeventd::http {

inline constexpr const char* kAcceptEncodingHeader = "X-Sgeventd-Accept-Encoding";

class KeepAliveServer final : public httplib::Server {
 public:
  struct Options {
    std::chrono::milliseconds idleTimeout{std::chrono::seconds(300)};
    std::size_t maxRequests = 1000;  // per connection; the last reply says Connection: close
    std::chrono::milliseconds readTimeout{std::chrono::seconds(30)};
    std::chrono::milliseconds writeTimeout{std::chrono::seconds(30)};
    HalfCloser::Options halfClose;
  };

  explicit KeepAliveServer(Options options);
  ~KeepAliveServer() override;

  // Ends every connection's wait for its next request; call before stop().
  void stopConnections();
  // cpp-httplib listens with a backlog of 5: clients connecting together (plugins starting at once) find
  // the accept queue full and wait out a SYN retransmit (1 s, then 3 s). Call after binding.
  bool widenBacklog(int backlog);

 private:
  bool process_and_close_socket(socket_t sock) override;

  const Options options_;
  core::UniqueFd stopping_;  // eventfd, readable once stopConnections() ran
  HalfCloser closer_;
};

}  // namespace sgeventd::http
