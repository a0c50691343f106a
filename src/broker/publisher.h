#pragma once
// Publishes the site's events to its JetStream stream, pipelined, and says how far they are safe.
//
// Each event goes to sgevents.<site>.<entity type or none>.<event type>, its `json` the payload, with
// the headers Nats-Msg-Id: <site>:<event id> and Nats-Expected-Last-Msg-Id: the message before it. Up to
// `maxPendingAcks` events wait for their PubAck at once; publish() waits beyond that.
//
// - A re-publish of a message id the stream stored within its duplicate window is dropped by the server
//   (a PubAck marked duplicate): at-least-once publishing, exactly once in the stream.
// - The expected-last header keeps the stream in publish order with no hole: when a message is lost (the
//   server restarted, the connection dropped), every message after it is refused, and the publisher goes
//   back to the first unacknowledged event, asks the stream for its last message, and publishes again
//   from there in order. A PubAck that is missing after `ackTimeout` or refused counts the same.
// - checkpoint() is the highest id below which every event handed over is acknowledged: it never
//   passes an unacknowledged id, and an event is reported done only once its PubAck arrived.
//
// Two threads of its own: one sends (and goes back after a failure), one reads the PubAcks from a
// subscription on an inbox of its own. No network call is made under the lock that publish() takes.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/connection.h"
#include "broker/stream.h"
#include "core/event.h"
#include "core/log.h"

namespace sgeventd::broker {

struct PublisherOptions {
  std::string stream = "SGEVENTS";
  std::string site;
  int maxPendingAcks = 256;
  std::chrono::milliseconds ackTimeout{5000};  // a PubAck not back by then is a failure
  std::chrono::milliseconds retryPause{100};   // after a failure, doubling to 2 s while nothing succeeds
};

struct PublisherStats {
  std::uint64_t published = 0;     // events handed over
  std::uint64_t acknowledged = 0;  // events whose PubAck arrived
  std::uint64_t duplicates = 0;    // of which the server had stored already
  std::uint64_t sends = 0;         // messages sent, re-sends included
  std::uint64_t rewinds = 0;       // times the publisher went back to its first unacknowledged event
  std::size_t pending = 0;         // events not acknowledged yet
  std::string lastError;           // why the last rewind happened
};

class Publisher {
 public:
  // Reads the stream's last message for the site (recoverPosition), so that a publisher with no local
  // state resumes after it, and starts the threads. The stream must exist (ensureStream).
  static Expected<std::unique_ptr<Publisher>> start(ConnectionPtr connection, PublisherOptions options,
                                                    core::LoggerPtr logger = nullptr);
  // Stops the threads; what is not acknowledged is simply not reported (a new publisher publishes it
  // again, and the duplicate window drops what the stream had).
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // An error when the server would refuse this event every time (larger than its max_payload).
  Expected<void> fits(const core::Event& event) const;
  // Hands one event over, waiting up to `wait` while maxPendingAcks events are unacknowledged. An event
  // larger than the server's max_payload is an error, and is not handed over.
  Expected<void> publish(const core::Event& event,
                         std::chrono::milliseconds wait = std::chrono::milliseconds::max());
  // Waits until every event handed over is acknowledged; false at the timeout.
  bool flush(std::chrono::milliseconds timeout);
  // Waits until no copy of event `id` handed over still waits for its PubAck (true), or `timeout`.
  // Only meaningful for an id that was handed over.
  bool waitAcknowledged(std::int64_t id, std::chrono::milliseconds timeout);

  // The highest id below which every event handed over is acknowledged (0 before any). An id handed over
  // below it (a late id) is in pendingBelowCheckpoint() until acknowledged.
  std::int64_t checkpoint() const;
  std::vector<std::int64_t> pendingBelowCheckpoint() const;
  // The event id of the stream's last message for the site when the publisher started (0: none).
  std::int64_t resumeAfter() const { return resumeAfter_; }
  PublisherStats stats() const;

 private:
  struct Entry {
    std::int64_t id = 0;
    std::string subject;
    std::string payload;
    std::string messageId;
    bool acked = false;
  };
  struct Attempt {
    std::uint64_t position = 0;  // of the entry
    std::chrono::steady_clock::time_point deadline;
  };

  Publisher(ConnectionPtr connection, PublisherOptions options, core::LoggerPtr logger);
  Expected<void> subscribe();
  void sendLoop();
  void readLoop();
  void handleReply(natsMsg* reply);
  // Under the lock: marks the entry at `position` acknowledged and moves the checkpoint.
  void acknowledge(std::uint64_t position, bool duplicate);
  void popAcknowledged();
  void failed(std::string why);
  // Outside the lock: asks the stream where it is and goes back to the first unacknowledged event.
  bool rewind(std::unique_lock<std::mutex>& lock);
  Entry* entryAt(std::uint64_t position);

  ConnectionPtr connection_;
  PublisherOptions options_;
  core::LoggerPtr logger_;
  std::string site_;   // as a subject token
  std::string inbox_;  // the PubAcks come to <inbox>.<attempt>
  SubscriptionPtr replies_;
  std::int64_t resumeAfter_ = 0;

  mutable std::mutex mutex_;
  // Two, so that an ack wakes only those waiting for acks, and a new entry only the sender.
  std::condition_variable changed_;  // an ack (room in the window, an event done), the stop
  std::condition_variable work_;     // the sender's: an entry to send, a failure, the stop
  bool stop_ = false;
  std::deque<Entry> entries_;        // handed over and not acknowledged (the front never is), in order
  std::uint64_t frontPosition_ = 0;  // the position of entries_.front()
  std::uint64_t nextPosition_ = 0;   // the next entry to send
  std::string lastStored_;           // the message id of the entry before the front (or the stream's last)
  std::map<std::uint64_t, Attempt> attempts_;  // by attempt number: messages sent and not answered
  std::uint64_t attemptCounter_ = 0;
  bool needRewind_ = false;
  std::chrono::milliseconds pause_{0};
  bool degraded_ = false;  // logged once per outage

  std::multiset<std::int64_t> unacked_;  // ids handed over and not acknowledged
  std::set<std::int64_t> ackedAbove_;    // acknowledged ids above the checkpoint
  std::int64_t checkpoint_ = 0;
  PublisherStats stats_;

  std::thread sender_;
  std::thread reader_;
};

}  // namespace sgeventd::broker
