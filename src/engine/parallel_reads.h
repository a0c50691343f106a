#pragma once
// A site that answers each read after 100 ms caps a one-read-at-a-time catch-up at batch size / 100 ms.
// During catch-up the fetcher asks for several id ranges at once, each on its own connection (its own
// EventReader, on its own thread), and applies the replies in id order.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "shotgrid/event_reader.h"

namespace sgeventd::engine {

// The queries one round of parallel reads of `range` sends, `width` at most: each but the last spans
// `range.limit` ids, so it can hold no more rows than one reply carries; the last runs to `range.before`
// (open-ended without one, so a long run of missing ids never stalls a catch-up). None when no id lies
// between `range.after` and `range.before`.
std::vector<shotgrid::EventQuery> spanQueries(const shotgrid::EventQuery& range, std::size_t width);

class ParallelReads {
 public:
  using Reply = shotgrid::Result<std::vector<core::Event>>;

  // One worker thread per reader; the caller's own reader serves the first query of each round.
  explicit ParallelReads(std::vector<shotgrid::EventReaderPtr> readers);
  ~ParallelReads();
  ParallelReads(const ParallelReads&) = delete;
  ParallelReads& operator=(const ParallelReads&) = delete;

  // How many queries one round can run at once: the workers plus the caller.
  std::size_t width() const { return workers_.size() + 1; }

  // Runs queries[0] on `own` in this thread and the others on the workers; the replies in query order.
  // At most width() queries.
  std::vector<Reply> read(shotgrid::EventReader& own, const std::vector<shotgrid::EventQuery>& queries);

 private:
  struct Worker {
    shotgrid::EventReaderPtr reader;
    std::optional<shotgrid::EventQuery> job;
    std::optional<Reply> reply;
    std::thread thread;
  };
  void serve(Worker& worker);

  std::mutex mutex_;
  std::condition_variable jobReady_;
  std::condition_variable replyReady_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace sgeventd::engine
