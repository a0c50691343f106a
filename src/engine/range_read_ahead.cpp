#include "engine/range_read_ahead.h"

namespace sgeventd::engine {

RangeReadAhead::RangeReadAhead(shotgrid::EventReaderPtr reader)
    : reader_(std::move(reader)), thread_([this] { run(); }) {}

RangeReadAhead::~RangeReadAhead() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  done_.notify_all();
  thread_.join();
}

void RangeReadAhead::start(const shotgrid::EventQuery& query) {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    job_ = query;
    reply_.reset();
  }
  wake_.notify_all();
}

std::optional<RangeReadAhead::Taken> RangeReadAhead::take(const shotgrid::EventQuery& query) {
  std::unique_lock lock(mutex_);
  const bool answers = job_ && job_->after == query.after && job_->limit == query.limit &&
                       job_->only.empty() && query.only.empty() && job_->before && query.before &&
                       *job_->before <= *query.before;
  if (!answers) {
    ++generation_;
    job_.reset();
    reply_.reset();
    return std::nullopt;
  }
  done_.wait(lock, [&] { return reply_.has_value() || stopping_; });
  std::optional<Taken> out;
  if (reply_) {
    out = Taken{std::move(*job_), std::move(*reply_)};
  }
  reply_.reset();
  job_.reset();
  ++generation_;
  return out;
}

void RangeReadAhead::drop() {
  std::lock_guard lock(mutex_);
  ++generation_;
  job_.reset();
  reply_.reset();
}

bool RangeReadAhead::pending() const {
  std::lock_guard lock(mutex_);
  return job_.has_value();
}

void RangeReadAhead::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || (job_ && !reading_ && !reply_); });
    if (stopping_) {
      return;
    }
    const shotgrid::EventQuery query = *job_;
    const std::uint64_t generation = generation_;
    reading_ = true;
    lock.unlock();
    Reply reply = reader_->readEvents(query);
    lock.lock();
    reading_ = false;
    if (generation == generation_) {
      reply_ = std::move(reply);
      done_.notify_all();
    }
  }
}

}  // namespace sgeventd::engine
