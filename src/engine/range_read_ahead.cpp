#include "engine/range_read_ahead.h"

#include <iterator>
#include <stdexcept>

#include "engine/reply_check.h"

namespace sgeventd::engine {

RangeReadAhead::RangeReadAhead(std::vector<shotgrid::EventReaderPtr> readers) : width_(readers.size()) {
  if (readers.empty()) {
    throw std::invalid_argument("RangeReadAhead: at least one reader");
  }
  own_ = std::move(readers.front());
  if (readers.size() > 1) {
    others_ = std::make_unique<ParallelReads>(std::vector<shotgrid::EventReaderPtr>(
        std::make_move_iterator(readers.begin() + 1), std::make_move_iterator(readers.end())));
  }
  thread_ = std::thread([this] { run(); });
}

RangeReadAhead::~RangeReadAhead() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  done_.notify_all();
  thread_.join();
}

void RangeReadAhead::start(const shotgrid::EventQuery& range) {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    job_ = range;
    reply_.reset();
  }
  wake_.notify_all();
}

std::optional<RangeReadAhead::Taken> RangeReadAhead::take(const shotgrid::EventQuery& range) {
  std::unique_lock lock(mutex_);
  const bool answers = job_ && job_->after == range.after && job_->limit == range.limit &&
                       job_->only.empty() && range.only.empty() && job_->before && range.before &&
                       *job_->before <= *range.before;
  if (answers) {
    done_.wait(lock, [&] { return reply_.has_value() || stopping_; });
  }
  std::optional<Taken> out;
  if (answers && reply_) {
    out = std::move(reply_);
  }
  ++generation_;
  job_.reset();
  reply_.reset();
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

RangeReadAhead::Taken RangeReadAhead::readRound(const shotgrid::EventQuery& range) {
  Taken out{range, std::vector<core::Event>{}, false};
  const auto queries = spanQueries(range, width_);
  if (queries.empty()) {
    return out;
  }
  std::vector<Reply> replies;
  if (queries.size() == 1) {
    replies.push_back(own_->readEvents(queries.front()));
  } else {
    replies = others_->read(*own_, queries);
  }
  std::vector<core::Event>& rows = *out.reply;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    auto& reply = replies[i];
    rejectBroken(queries[i], reply);
    if (!reply) {
      // The spans read before the failure still hold every id up to theirs: they are kept.
      out.failure = reply.error();
      if (rows.empty()) {
        out.reply = tl::unexpected(reply.error());
      } else {
        out.more = true;
      }
      return out;
    }
    rows.insert(rows.end(), std::make_move_iterator(reply->begin()), std::make_move_iterator(reply->end()));
    if (i + 1 == replies.size()) {
      out.more = static_cast<int>(reply->size()) >= queries[i].limit;
    }
  }
  return out;
}

void RangeReadAhead::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || (job_ && !reading_ && !reply_); });
    if (stopping_) {
      return;
    }
    const shotgrid::EventQuery range = *job_;
    const std::uint64_t generation = generation_;
    reading_ = true;
    lock.unlock();
    Taken round = readRound(range);
    lock.lock();
    reading_ = false;
    if (generation == generation_) {
      reply_ = std::move(round);
      done_.notify_all();
    }
  }
}

}  // namespace sgeventd::engine
