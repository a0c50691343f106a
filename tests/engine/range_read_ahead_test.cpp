// A lane below the window reads its range in rounds of parallel reads, one round ahead
// (range_read_ahead.h): the rounds alone, then a LaneSource with them against one read at a time, on the
// same log with gaps.
#include "engine/range_read_ahead.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <future>

#include "core/memory_log.h"
#include "core/metrics_registry.h"
#include "engine/lane_source.h"
#include "fakes.h"

using namespace sgeventd;
using namespace sgeventd::engine;
using namespace std::chrono_literals;
using sgeventd::testing::FakeEventReader;

namespace {

std::shared_ptr<FakeEventReader::Log> logWith(std::int64_t first, std::int64_t last, int skipEvery = 0) {
  auto log = std::make_shared<FakeEventReader::Log>();
  for (std::int64_t id = first; id <= last; ++id) {
    if (skipEvery == 0 || id % skipEvery != 0) {
      log->events[id] = *sgeventd::testing::makeEvent(id);
    }
  }
  return log;
}

shotgrid::EventQuery range(std::int64_t after, std::int64_t before, int limit = 10) {
  shotgrid::EventQuery q;
  q.after = after;
  q.before = before;
  q.limit = limit;
  return q;
}

std::vector<std::int64_t> idsOf(const RangeReadAhead::Reply& reply) {
  std::vector<std::int64_t> ids;
  for (const auto& e : *reply) {
    ids.push_back(e.id);
  }
  return ids;
}

std::vector<shotgrid::EventReaderPtr> readers(const std::shared_ptr<FakeEventReader::Log>& log,
                                              std::size_t width = 1) {
  std::vector<shotgrid::EventReaderPtr> out;
  for (std::size_t i = 0; i < width; ++i) {
    out.push_back(std::make_unique<FakeEventReader>(log));
  }
  return out;
}

std::vector<shotgrid::EventReaderPtr> one(shotgrid::EventReaderPtr reader) {
  std::vector<shotgrid::EventReaderPtr> out;
  out.push_back(std::move(reader));
  return out;
}

int reads(const std::shared_ptr<FakeEventReader::Log>& log) {
  std::lock_guard lock(log->mutex);
  return log->reads;
}

// A reader that answers only once the test lets it, to hold a read in flight.
class GatedReader final : public shotgrid::EventReader {
 public:
  explicit GatedReader(std::shared_ptr<FakeEventReader::Log> log) : inner_(std::move(log)) {}
  shotgrid::Result<std::vector<core::Event>> readEvents(const shotgrid::EventQuery& q) override {
    {
      std::unique_lock lock(mutex_);
      started_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return open_; });
    }
    return inner_.readEvents(q);
  }
  shotgrid::Result<std::int64_t> newestEventId() override { return inner_.newestEventId(); }
  void waitStarted() {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(changed_.wait_for(lock, 30s, [&] { return started_; }));
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  FakeEventReader inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool started_ = false;
  bool open_ = false;
};

}  // namespace

TEST(RangeReadAhead, TheReadStartedAnswersTheSameRangeOnce) {
  auto log = logWith(1, 100);
  RangeReadAhead ahead(readers(log));
  ahead.start(range(20, 90));
  EXPECT_TRUE(ahead.pending());
  auto taken = ahead.take(range(20, 90));
  ASSERT_TRUE(taken);
  ASSERT_TRUE(taken->reply);
  EXPECT_EQ(idsOf(taken->reply), (std::vector<std::int64_t>{21, 22, 23, 24, 25, 26, 27, 28, 29, 30}));
  EXPECT_EQ(taken->range.after, 20);
  EXPECT_TRUE(taken->more) << "a full reply: more may follow";
  EXPECT_FALSE(ahead.pending());
  EXPECT_FALSE(ahead.take(range(20, 90))) << "taken once";
  EXPECT_EQ(reads(log), 1);
}

TEST(RangeReadAhead, AReadBelowAFloorThatRoseStillAnswersOneThatFellDoesNot) {
  auto log = logWith(1, 100);
  RangeReadAhead ahead(readers(log));
  ahead.start(range(20, 25));
  auto taken = ahead.take(range(20, 90));  // the window moved up since: 21-24 are still below it
  ASSERT_TRUE(taken);
  EXPECT_EQ(idsOf(taken->reply), (std::vector<std::int64_t>{21, 22, 23, 24}));
  EXPECT_EQ(*taken->range.before, 25) << "the range read";
  EXPECT_FALSE(taken->more) << "everything below 25 was read";

  ahead.start(range(20, 90));
  EXPECT_FALSE(ahead.take(range(20, 50))) << "ids up to 89 could be in the window now";
  EXPECT_FALSE(ahead.pending()) << "a read that does not answer is forgotten";
}

TEST(RangeReadAhead, AnotherPositionOrLimitIsNotAnswered) {
  auto log = logWith(1, 100);
  RangeReadAhead ahead(readers(log));
  ahead.start(range(20, 90));
  EXPECT_FALSE(ahead.take(range(19, 90))) << "the lane was rewound";
  ahead.start(range(20, 90, 10));
  EXPECT_FALSE(ahead.take(range(20, 90, 20)));
  ahead.start(range(20, 90));
  ahead.drop();
  EXPECT_FALSE(ahead.take(range(20, 90))) << "dropped";
}

TEST(RangeReadAhead, AReadStartedAgainReplacesTheOneInFlight) {
  auto log = logWith(1, 100);
  auto gated = std::make_unique<GatedReader>(log);
  GatedReader& gate = *gated;
  RangeReadAhead ahead(one(std::move(gated)));
  ahead.start(range(20, 90));
  gate.waitStarted();
  ahead.start(range(40, 90));  // while the first is in flight
  gate.open();
  auto taken = ahead.take(range(40, 90));
  ASSERT_TRUE(taken);
  ASSERT_TRUE(taken->reply);
  EXPECT_EQ(taken->reply->front().id, 41) << "the first read's reply is not the second's";
  EXPECT_EQ(reads(log), 2);
}

TEST(RangeReadAhead, AFailureIsTheReply) {
  auto log = logWith(1, 100);
  log->down = true;
  RangeReadAhead ahead(readers(log));
  ahead.start(range(20, 90));
  auto taken = ahead.take(range(20, 90));
  ASSERT_TRUE(taken);
  EXPECT_FALSE(taken->reply);
  ASSERT_TRUE(taken->failure);
  EXPECT_EQ(taken->failure->kind, shotgrid::ErrorKind::Connection);
}

TEST(RangeReadAhead, ARoundReadsSpansOfBatchSizeIdsAtOnceAndTheLastToTheBound) {
  const auto spans = spanQueries(range(100, 1000, 50), 4);
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[0].after, 100);
  EXPECT_EQ(*spans[0].before, 151);  // ids 101-150: at most a reply's 50 rows
  EXPECT_EQ(spans[1].after, 150);
  EXPECT_EQ(*spans[2].before, 251);
  EXPECT_EQ(spans[3].after, 250);
  EXPECT_EQ(*spans[3].before, 1000) << "the last runs to the floor";
  EXPECT_EQ(spanQueries(range(100, 170, 50), 4).size(), 2u) << "no span above the floor";
  EXPECT_EQ(*spanQueries(range(100, 170, 50), 4)[1].before, 170);
  EXPECT_TRUE(spanQueries(range(100, 101, 50), 4).empty());

  auto log = logWith(1, 2000, 3);  // every third id missing
  RangeReadAhead ahead(readers(log, 4));
  ahead.start(range(100, 1000, 50));
  auto taken = ahead.take(range(100, 1000, 50));
  ASSERT_TRUE(taken && taken->reply);
  // Three spans of 50 ids hold 33, 34 and 33 rows (the gaps stay gaps); the last is full at 50 rows.
  std::vector<std::int64_t> expected;
  for (std::int64_t id = 101; expected.size() < 33u + 34u + 33u + 50u; ++id) {
    if (id % 3 != 0) {
      expected.push_back(id);
    }
  }
  EXPECT_EQ(idsOf(taken->reply), expected);
  EXPECT_TRUE(taken->more);
  EXPECT_EQ(reads(log), 4);
}

TEST(RangeReadAhead, DestroyedWithAReadInFlightWaitsForIt) {
  auto log = logWith(1, 100);
  auto gated = std::make_unique<GatedReader>(log);
  GatedReader& gate = *gated;
  auto ahead = std::make_unique<RangeReadAhead>(one(std::move(gated)));
  ahead->start(range(20, 90));
  gate.waitStarted();
  auto destroyed = std::async(std::launch::async, [&] { ahead.reset(); });
  EXPECT_EQ(destroyed.wait_for(100ms), std::future_status::timeout) << "the read is still in flight";
  gate.open();
  EXPECT_EQ(destroyed.wait_for(30s), std::future_status::ready);
}

// A lane far below the window, reading its own range to the window one read at a time and in rounds of
// four parallel reads: the same ids in the same order, then the window's.
TEST(LaneSourceReadAhead, DeliversTheSameIdsInOrderAsOneReadAtATime) {
  auto collect = [](std::size_t rangeReads, int& siteReads) {
    auto log = logWith(1, 5000, 7);  // every 7th id missing: gaps the lane must see as gaps
    EventWindow window(10000);
    window.reset(4000);
    std::vector<core::EventPtr> recent;
    for (std::int64_t id = 4001; id <= 4100; ++id) {
      recent.push_back(sgeventd::testing::makeEvent(id));
    }
    window.append(recent, 4100);
    auto logs = std::make_shared<core::MemoryLogFactory>();
    auto metrics = std::make_shared<core::MetricsRegistry>();
    LaneSource source(
        window, [log]() -> shotgrid::EventReaderPtr { return std::make_unique<FakeEventReader>(log); }, 500,
        rangeReads, logs->get("engine"), core::systemClock(), "a", metrics);
    std::vector<std::int64_t> ids;
    std::int64_t position = 0;
    for (;;) {
      auto batch = source.next(position);
      EXPECT_FALSE(batch.failed);
      if (batch.events.empty() || batch.failed) {
        break;
      }
      for (const auto& e : batch.events) {
        ids.push_back(e->id);
      }
      position = batch.events.back()->id;
    }
    siteReads = reads(log);
    return ids;
  };
  int readsOneAtATime = 0;
  int readsInRounds = 0;
  const auto oneAtATime = collect(1, readsOneAtATime);
  const auto inRounds = collect(4, readsInRounds);
  EXPECT_EQ(inRounds, oneAtATime);
  ASSERT_FALSE(oneAtATime.empty());
  EXPECT_EQ(oneAtATime.front(), 1);
  EXPECT_EQ(oneAtATime.back(), 4100);
  EXPECT_EQ(std::count(oneAtATime.begin(), oneAtATime.end(), 7), 0) << "a gap stays a gap";
  // 3,429 ids below the window, 500 rows a read: 6 full reads and a short one, one at a time. In rounds:
  // three spans of 500 ids and a full last span, then a second round whose last span ends at the floor.
  EXPECT_EQ(readsOneAtATime, 7);
  EXPECT_EQ(readsInRounds, 8);
}
