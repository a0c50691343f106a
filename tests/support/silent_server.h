#pragma once
// A server that never answers: it accepts connections on 127.0.0.1 (port 0), reads and drops what the
// client sends, and keeps every connection open until it is destroyed. Shared by every test folder.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace sgeventd::testing {

class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SilentServer() {
    stop_ = true;
    thread_.join();
    for (const int c : clients_) {
      ::close(c);
    }
    ::close(fd_);
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  int port() const { return port_; }
  // Requests whose bytes arrived (at least one byte read on a connection counts it once).
  int requestsSeen() const { return seen_; }

 private:
  void serve() {
    std::vector<bool> counted;
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (const int c : clients_) {
        fds.push_back({c, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0) {
        continue;
      }
      // Backwards, so a connection the client closed can be dropped in place.
      for (std::size_t i = fds.size() - 1; i >= 1; --i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
          continue;
        }
        char buffer[4096];
        if (::read(fds[i].fd, buffer, sizeof buffer) <= 0) {
          ::close(fds[i].fd);
          clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i - 1));
          counted.erase(counted.begin() + static_cast<std::ptrdiff_t>(i - 1));
        } else if (!counted[i - 1]) {
          counted[i - 1] = true;
          ++seen_;
        }
      }
      if ((fds[0].revents & POLLIN) != 0) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client >= 0) {
          clients_.push_back(client);
          counted.push_back(false);
        }
      }
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> seen_{0};
  std::vector<int> clients_;  // the serving thread's own until it is joined
  std::thread thread_;
};

}  // namespace sgeventd::testing
