#pragma once
// A lane below the window reads its own range from the site one batch at a time, and its plugin waits for
// each read: against a site that answers after 100 ms, that caps the lane at one batch per 100 ms, and the
// decode and the callbacks never overlap a read. So while the plugin runs one batch, the next batch is read
// on a connection of its own, on a thread of its own. One read at most is ahead, so a lane behind holds
// one batch more in memory and one connection more.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "shotgrid/event_reader.h"

namespace sgeventd::engine {

class RangeReadAhead {
 public:
  using Reply = shotgrid::Result<std::vector<core::Event>>;

  explicit RangeReadAhead(shotgrid::EventReaderPtr reader);
  ~RangeReadAhead();  // waits for the read in flight, if any
  RangeReadAhead(const RangeReadAhead&) = delete;
  RangeReadAhead& operator=(const RangeReadAhead&) = delete;

  // Starts reading `query`; a read started before and not taken is forgotten.
  void start(const shotgrid::EventQuery& query);
  struct Taken {
    shotgrid::EventQuery query;  // the one read
    Reply reply;
  };
  // The read started last and its reply, waiting for it, when that read answers `query`: the same ids
  // after, the same limit, and a bound no higher (ids below the window's floor then, which stay below
  // it). Nothing otherwise, and the read started is forgotten.
  std::optional<Taken> take(const shotgrid::EventQuery& query);
  // Forgets the read started, if any (its reply is dropped when it comes).
  void drop();
  // Reads started and not yet taken or forgotten: 0 or 1.
  bool pending() const;

 private:
  void run();

  shotgrid::EventReaderPtr reader_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // a job to read, or the end
  std::condition_variable done_;  // a reply, or the end
  std::optional<shotgrid::EventQuery> job_;
  std::optional<Reply> reply_;
  std::uint64_t generation_ = 0;  // moves on with each start and drop: a reply for an older job is dropped
  bool reading_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sgeventd::engine
