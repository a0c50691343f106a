#include "engine/parallel_reads.h"

#include <algorithm>
#include <stdexcept>

namespace sgeventd::engine {

std::vector<shotgrid::EventQuery> spanQueries(const shotgrid::EventQuery& range, std::size_t width) {
  std::vector<shotgrid::EventQuery> out;
  const std::int64_t span = range.limit;
  for (std::size_t i = 0; i < width; ++i) {
    shotgrid::EventQuery q;
    q.after = range.after + static_cast<std::int64_t>(i) * span;
    q.limit = range.limit;
    if (range.before && q.after + 1 >= *range.before) {
      break;
    }
    if (i + 1 < width) {
      q.before = range.before ? std::min(*range.before, q.after + span + 1) : q.after + span + 1;
    } else {
      q.before = range.before;
    }
    out.push_back(q);
  }
  return out;
}

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
