#pragma once
// A lane below the window reads its own range from the site. One read at a time, its plugin waits for
// each read, and a site that answers after 100 ms caps the lane at one batch per 100 ms. So, as the
// fetcher does while catching up, the lane reads a round of id spans at once, each on a connection of its
// own, and while its plugin runs one round, the next round is read on this class's thread. A lane behind
// therefore holds two rounds of events at most (2 × width × batch size) and uses `width` connections.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "engine/parallel_reads.h"
#include "shotgrid/event_reader.h"

namespace sgeventd::engine {

class RangeReadAhead {
 public:
  using Reply = ParallelReads::Reply;

  // `readers`: one connection per span of a round (at least one).
  explicit RangeReadAhead(std::vector<shotgrid::EventReaderPtr> readers);
  ~RangeReadAhead();  // waits for the round in flight, if any
  RangeReadAhead(const RangeReadAhead&) = delete;
  RangeReadAhead& operator=(const RangeReadAhead&) = delete;

  std::size_t width() const { return width_; }  // spans a round reads (spanQueries)

  struct Taken {
    shotgrid::EventQuery range;  // the one read
    Reply reply;                 // the spans' rows in id order, each span's reply checked
    bool more = false;           // the last span was full, or one failed: rows may follow below range.before
    std::optional<shotgrid::ClientError> failure;  // of a span after which nothing was kept
  };
  // Starts reading a round of `range` (which needs a `before`); a round started before and not taken is
  // forgotten.
  void start(const shotgrid::EventQuery& range);
  // The round started last and its reply, waiting for it, when that round answers `range`: the same ids
  // after, the same limit, and a bound no higher (ids below the window's floor then, which stay below
  // it). Nothing otherwise, and the round started is forgotten.
  std::optional<Taken> take(const shotgrid::EventQuery& range);
  // Forgets the round started, if any (its reply is dropped when it comes).
  void drop();
  // A round started and not yet taken or forgotten.
  bool pending() const;

 private:
  void run();
  Taken readRound(const shotgrid::EventQuery& range);

  std::size_t width_;
  shotgrid::EventReaderPtr own_;
  std::unique_ptr<ParallelReads> others_;  // the spans after the first; none for a width of 1
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // a round to read, or the end
  std::condition_variable done_;  // a reply, or the end
  std::optional<shotgrid::EventQuery> job_;
  std::optional<Taken> reply_;
  // Moves on with each start, take and drop: an older round's reply is dropped.
  std::uint64_t generation_ = 0;
  bool reading_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sgeventd::engine
