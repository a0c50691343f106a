#pragma once
// cpp-httplib runs each connection, keep-alive included, on one task from start to close. A fixed pool
// therefore caps the open connections at its size and makes the next client wait for one to close. This
// pool starts a thread whenever none is free, up to a cap, and keeps it for the next connection.
#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sgeventd::http {

class ConnectionPool final : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(std::size_t maxThreads);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;  // runs the tasks already queued, then joins every thread

  std::size_t threadCount() const;

 private:
  void work();

  const std::size_t maxThreads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace sgeventd::http
