#include "http/connection_pool.h"

#include <algorithm>
#include <utility>

namespace sgeventd::http {

ConnectionPool::ConnectionPool(std::size_t maxThreads) : maxThreads_(std::max<std::size_t>(1, maxThreads)) {}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  tasks_.push_back(std::move(fn));
  // Idle threads already woken for earlier tasks are not free for this one.
  if (idle_ < tasks_.size() && threads_.size() < maxThreads_ && !stopping_) {
    threads_.emplace_back([this] { work(); });
  }
  wake_.notify_one();
}

void ConnectionPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (auto& thread : threads) {
    thread.join();
  }
}

std::size_t ConnectionPool::threadCount() const {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

void ConnectionPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    wake_.wait(lock, [this] { return !tasks_.empty() || stopping_; });
    --idle_;
    if (tasks_.empty()) {
      return;  // stopping, nothing left to run
    }
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace sgeventd::http
