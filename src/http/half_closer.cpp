#include "http/half_closer.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

namespace sgeventd::http {

HalfCloser::HalfCloser(Options options)
    : options_(options),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &event);
  thread_ = std::thread([this] { run(); });
}

HalfCloser::~HalfCloser() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_.get(), &one, sizeof one);
  thread_.join();
  for (const auto& held : held_) {
    ::close(held.fd);
  }
}

void HalfCloser::close(int socket) {
  ::shutdown(socket, SHUT_WR);
  std::lock_guard lock(mutex_);
  if (stopping_ || epoll_.get() < 0) {
    ::close(socket);
    return;
  }
  if (held_.size() >= options_.maxSockets) {
    drop(held_.front().fd);
  }
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = socket;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, socket, &event) != 0) {
    ::close(socket);
    return;
  }
  held_.push_back({socket, std::chrono::steady_clock::now() + options_.hold});
  if (held_.size() == 1) {
    const std::uint64_t one = 1;  // the loop may be sleeping with no deadline
    [[maybe_unused]] auto written = ::write(wake_.get(), &one, sizeof one);
  }
}

std::size_t HalfCloser::held() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

void HalfCloser::drop(int fd) {
  const auto it = std::find_if(held_.begin(), held_.end(), [fd](const Held& h) { return h.fd == fd; });
  if (it == held_.end()) {
    return;
  }
  held_.erase(it);
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
}

bool HalfCloser::drain(int fd) {
  std::array<char, 4096> sink;
  for (;;) {
    const auto n = ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
    if (n > 0) {
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

void HalfCloser::run() {
  std::array<epoll_event, 64> events;
  for (;;) {
    int timeoutMs = -1;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      while (!held_.empty() && held_.front().until <= now) {
        drop(held_.front().fd);
      }
      if (!held_.empty()) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(held_.front().until - now).count();
        timeoutMs = static_cast<int>(std::min<long long>(wait, 60'000));
      }
    }
    const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeoutMs);
    std::lock_guard lock(mutex_);
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == wake_.get()) {
        std::uint64_t count = 0;
        [[maybe_unused]] auto got = ::read(wake_.get(), &count, sizeof count);
        continue;
      }
      // An fd closed earlier in this batch may already be another connection's: leave it alone.
      const bool held = std::any_of(held_.begin(), held_.end(), [fd](const Held& h) { return h.fd == fd; });
      if (held && !drain(fd)) {
        drop(fd);
      }
    }
  }
}

}  // namespace sgeventd::http
