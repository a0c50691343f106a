#include "http/keep_alive_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace sgeventd::http {
namespace {

enum class Ready { Data, Timeout, Stopped };

Ready waitFor(int sock, short events, int stopFd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::array<pollfd, 2> fds{{{sock, events, 0}, {stopFd, POLLIN, 0}}};
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(0, left.count())));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 || fds[1].revents != 0) {
      return Ready::Stopped;
    }
    return n == 0 ? Ready::Timeout
                  : Ready::Data;  // an error or hang-up on the socket counts as data: read sees it
  }
}

void addressOf(const sockaddr_storage& addr, std::string& ip, int& port) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (addr.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &v4.sin_addr, text.data(), text.size());
    port = ntohs(v4.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text.data(), text.size());
    port = ntohs(v6.sin6_port);
  }
  ip = text.data();
}

// Reads through a buffer (cpp-httplib reads request lines a byte at a time) and collects small writes
// until the reply is complete or the server must wait for the client (an interim 100 Continue).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, int stopFd, const KeepAliveServer::Options& options)
      : sock_(sock), stopFd_(stopFd), options_(options) {}

  bool is_readable() const override {
    return pending() > 0 || waitFor(sock_, POLLIN, stopFd_, options_.readTimeout) == Ready::Data;
  }
  bool is_writable() const override {
    return waitFor(sock_, POLLOUT, stopFd_, options_.writeTimeout) == Ready::Data;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (pending() == 0) {
      if (!flush() || !is_readable()) {
        return -1;
      }
      if (size >= in_.size()) {
        return receive(ptr, size);
      }
      const auto n = receive(in_.data(), in_.size());
      if (n <= 0) {
        return n;
      }
      begin_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    const auto n = std::min(size, pending());
    std::memcpy(ptr, in_.data() + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (out_.size() + size <= kCoalesceBytes) {
      out_.append(ptr, size);
      return static_cast<ssize_t>(size);
    }
    // A large body: the headers before it go in the same segments (MSG_MORE), the body from its buffer.
    if (!sendAll(out_.data(), out_.size(), MSG_MORE) || !sendAll(ptr, size, 0)) {
      return -1;
    }
    out_.clear();
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
      addressOf(addr, ip, port);
    }
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
      addressOf(addr, ip, port);
    }
  }
  socket_t socket() const override { return sock_; }

  bool flush() {
    const bool ok = sendAll(out_.data(), out_.size(), 0);
    out_.clear();
    return ok;
  }

 private:
  static constexpr std::size_t kCoalesceBytes = 64 * 1024;

  std::size_t pending() const { return end_ - begin_; }

  ssize_t receive(char* ptr, size_t size) const {
    for (;;) {
      const auto n = ::recv(sock_, ptr, size, 0);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      return n;
    }
  }

  bool sendAll(const char* data, std::size_t size, int flags) const {
    while (size > 0) {
      if (!is_writable()) {
        return false;
      }
      const auto n = ::send(sock_, data, size, flags | MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
          continue;
        }
        return false;
      }
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  const int sock_;
  const int stopFd_;
  const KeepAliveServer::Options& options_;
  std::array<char, 16 * 1024> in_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::string out_;
};

void hideAcceptEncoding(httplib::Request& req) {
  const auto range = req.headers.equal_range("Accept-Encoding");
  std::string value;
  for (auto it = range.first; it != range.second; ++it) {
    value += (value.empty() ? "" : ",") + it->second;
  }
  req.headers.erase(range.first, range.second);
  if (!value.empty()) {
    req.headers.emplace(kAcceptEncodingHeader, value);
  }
}

}  // namespace

KeepAliveServer::KeepAliveServer(Options options)
    : options_(options), stopping_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), closer_(options.halfClose) {}

KeepAliveServer::~KeepAliveServer() {
  stopConnections();
  stop();
}

void KeepAliveServer::stopConnections() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(stopping_.get(), &one, sizeof one);
}

bool KeepAliveServer::widenBacklog(int backlog) {
  const int fd = svr_sock_;
  return fd != INVALID_SOCKET && ::listen(fd, backlog) == 0;  // a second listen() only resizes the queue
}

bool KeepAliveServer::process_and_close_socket(socket_t sock) {
  const int one = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ConnectionStream stream(sock, stopping_.get(), options_);
  bool ok = true;
  for (std::size_t served = 0; served < options_.maxRequests; ++served) {
    const auto ready = waitFor(sock, POLLIN, stopping_.get(), options_.idleTimeout);
    if (ready == Ready::Stopped) {
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
      return ok;
    }
    if (ready == Ready::Timeout) {
      break;
    }
    bool closed = false;
    ok = process_request(stream, served + 1 == options_.maxRequests, closed, hideAcceptEncoding);
    ok = stream.flush() && ok;
    if (!ok || closed) {
      break;
    }
  }
  closer_.close(sock);
  return ok;
}

}  // namespace sgeventd::http
