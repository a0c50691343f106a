#include "engine/parallel_reads.h"

#include <stdexcept>

namespace sgeventd::engine {

ParallelReads::ParallelReads(std::vector<shotgrid::EventReaderPtr> readers) {
  for (auto& reader : readers) {
    auto worker = std::make_unique<Worker>();
    worker->reader = std::move(reader);
    workers_.push_back(std::move(worker));
  }
  for (auto& worker : workers_) {
    worker->thread = std::thread([this, w = worker.get()] { serve(*w); });
  }
}

ParallelReads::~ParallelReads() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  jobReady_.notify_all();
  for (auto& worker : workers_) {
    worker->thread.join();
  }
}

void ParallelReads::serve(Worker& worker) {
  std::unique_lock lock(mutex_);
  for (;;) {
    jobReady_.wait(lock, [&] { return stopping_ || worker.job.has_value(); });
    if (stopping_) {
      return;
    }
    const shotgrid::EventQuery query = *worker.job;
    lock.unlock();
    Reply reply = worker.reader->readEvents(query);
    lock.lock();
    worker.job.reset();
    worker.reply.emplace(std::move(reply));
    replyReady_.notify_all();
  }
}

std::vector<ParallelReads::Reply> ParallelReads::read(shotgrid::EventReader& own,
                                                      const std::vector<shotgrid::EventQuery>& queries) {
  if (queries.empty() || queries.size() > width()) {
    throw std::invalid_argument("ParallelReads::read: between 1 and width() queries");
  }
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 1; i < queries.size(); ++i) {
      workers_[i - 1]->job = queries[i];
    }
  }
  jobReady_.notify_all();
  std::vector<Reply> replies;
  replies.reserve(queries.size());
  replies.push_back(own.readEvents(queries[0]));
  std::unique_lock lock(mutex_);
  for (std::size_t i = 1; i < queries.size(); ++i) {
    Worker& worker = *workers_[i - 1];
    replyReady_.wait(lock, [&] { return worker.reply.has_value(); });
    replies.push_back(std::move(*worker.reply));
    worker.reply.reset();
  }
  return replies;
}

}  // namespace sgeventd::engine
