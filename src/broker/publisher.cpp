#include "broker/publisher.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <limits>

#include "broker/subjects.h"

namespace sgeventd::broker {

namespace {

constexpr std::chrono::milliseconds kMaxPause{2000};
constexpr std::chrono::milliseconds kReadTimeout{100};

}  // namespace

Publisher::Publisher(ConnectionPtr connection, PublisherOptions options, core::LoggerPtr logger)
    : connection_(std::move(connection)),
      options_(std::move(options)),
      logger_(std::move(logger)),
      site_(subjectToken(options_.site)) {
  options_.maxPendingAcks = std::max(1, options_.maxPendingAcks);
}

Expected<std::unique_ptr<Publisher>> Publisher::start(ConnectionPtr connection, PublisherOptions options,
                                                      core::LoggerPtr logger) {
  if (!connection) {
    return fail("no NATS connection");
  }
  std::unique_ptr<Publisher> publisher(
      new Publisher(std::move(connection), std::move(options), std::move(logger)));
  auto position = recoverPosition(*publisher->connection_, publisher->options_.stream, publisher->site_);
  if (!position) {
    return unexpected(position.error());
  }
  if (*position) {
    publisher->lastStored_ = (*position)->messageId;
    publisher->resumeAfter_ = (*position)->eventId;
    publisher->checkpoint_ = publisher->resumeAfter_;
  }
  SGEVENTD_TRY(publisher->subscribe());
  publisher->sender_ = std::thread(&Publisher::sendLoop, publisher.get());
  publisher->reader_ = std::thread(&Publisher::readLoop, publisher.get());
  return publisher;
}

Expected<void> Publisher::subscribe() {
  natsInbox* inbox = nullptr;
  if (const natsStatus s = natsInbox_Create(&inbox); s != NATS_OK) {
    return unexpected(natsError("cannot create an inbox", s));
  }
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* sub = nullptr;
  const std::string subject = inbox_ + ".*";
  if (const natsStatus s = natsConnection_SubscribeSync(&sub, connection_->nats(), subject.c_str());
      s != NATS_OK) {
    return unexpected(natsError("cannot subscribe to the PubAcks", s));
  }
  replies_.reset(sub);
  natsSubscription_SetPendingLimits(sub, -1, -1);
  // The server knows the subscription before the first PubAck is sent to it.
  if (const natsStatus s = natsConnection_Flush(connection_->nats()); s != NATS_OK) {
    return unexpected(natsError("cannot reach the NATS server", s));
  }
  return {};
}

Publisher::~Publisher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  work_.notify_all();
  if (sender_.joinable()) {
    sender_.join();
  }
  if (reader_.joinable()) {
    reader_.join();
  }
  if (replies_) {
    natsSubscription_Unsubscribe(replies_.get());
  }
}

Expected<void> Publisher::fits(const core::Event& event) const {
  const std::int64_t maxPayload = natsConnection_GetMaxPayload(connection_->nats());
  if (maxPayload > 0 && static_cast<std::int64_t>(event.json.size()) > maxPayload) {
    return fail("event " + std::to_string(event.id) + " is " + std::to_string(event.json.size()) +
                " bytes, more than the server's max_payload of " + std::to_string(maxPayload));
  }
  return {};
}

Expected<void> Publisher::publish(const core::Event& event, std::chrono::milliseconds wait) {
  // The server would refuse it every time, and the publisher would never get past it.
  SGEVENTD_TRY(fits(event));
  Entry entry{event.id, eventSubject(site_, event), event.json, messageId(site_, event.id)};
  std::unique_lock lock(mutex_);
  const auto ready = [&] {
    return stop_ || entries_.size() < static_cast<std::size_t>(options_.maxPendingAcks);
  };
  if (wait == std::chrono::milliseconds::max()) {
    changed_.wait(lock, ready);
  } else if (!changed_.wait_for(lock, wait, ready)) {
    return fail(std::to_string(entries_.size()) + " events are waiting for their PubAck");
  }
  if (stop_) {
    return fail("the publisher is stopping");
  }
  unacked_.insert(entry.id);
  entries_.push_back(std::move(entry));
  ++stats_.published;
  work_.notify_one();
  return {};
}

bool Publisher::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return entries_.empty(); });
}

bool Publisher::waitAcknowledged(std::int64_t id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return !unacked_.contains(id); });
}

std::int64_t Publisher::checkpoint() const {
  std::lock_guard lock(mutex_);
  return checkpoint_;
}

std::vector<std::int64_t> Publisher::pendingBelowCheckpoint() const {
  std::lock_guard lock(mutex_);
  std::vector<std::int64_t> out;
  for (auto it = unacked_.begin(); it != unacked_.end() && *it < checkpoint_; ++it) {
    out.push_back(*it);
  }
  return out;
}

PublisherStats Publisher::stats() const {
  std::lock_guard lock(mutex_);
  PublisherStats out = stats_;
  out.pending = entries_.size();
  return out;
}

Publisher::Entry* Publisher::entryAt(std::uint64_t position) {
  if (position < frontPosition_ || position - frontPosition_ >= entries_.size()) {
    return nullptr;
  }
  return &entries_[position - frontPosition_];
}

void Publisher::acknowledge(std::uint64_t position, bool duplicate) {
  Entry* entry = entryAt(position);
  if (entry == nullptr || entry->acked) {
    return;
  }
  entry->acked = true;
  ++stats_.acknowledged;
  if (duplicate) {
    ++stats_.duplicates;
  }
  if (auto it = unacked_.find(entry->id); it != unacked_.end()) {
    unacked_.erase(it);
  }
  if (entry->id > checkpoint_) {
    ackedAbove_.insert(entry->id);
  }
  const std::int64_t floor = unacked_.empty() ? std::numeric_limits<std::int64_t>::max() : *unacked_.begin();
  while (!ackedAbove_.empty() && *ackedAbove_.begin() < floor) {
    checkpoint_ = *ackedAbove_.begin();
    ackedAbove_.erase(ackedAbove_.begin());
  }
  pause_ = std::chrono::milliseconds(0);
  if (degraded_ && !needRewind_) {
    degraded_ = false;
    if (logger_) {
      logger_->info("publishing to JetStream works again (stream " + options_.stream + ")");
    }
  }
}

void Publisher::popAcknowledged() {
  while (!entries_.empty() && entries_.front().acked) {
    lastStored_ = entries_.front().messageId;
    entries_.pop_front();
    ++frontPosition_;
  }
  nextPosition_ = std::max(nextPosition_, frontPosition_);
}

void Publisher::failed(std::string why) {
  if (!needRewind_) {
    stats_.lastError = std::move(why);
  }
  needRewind_ = true;
  work_.notify_one();
}

void Publisher::handleReply(natsMsg* reply) {
  const std::string_view subject = natsMsg_GetSubject(reply);
  if (subject.size() <= inbox_.size() + 1) {
    return;
  }
  const std::string_view digits = subject.substr(inbox_.size() + 1);
  std::uint64_t number = 0;
  if (std::from_chars(digits.data(), digits.data() + digits.size(), number).ec != std::errc()) {
    return;
  }
  std::optional<std::string> error;
  bool duplicate = false;
  if (natsMsg_IsNoResponders(reply)) {
    error = "no responders: the stream " + options_.stream + " is not available";
  } else {
    const char* data = natsMsg_GetData(reply);
    const auto ack =
        nlohmann::json::parse(data, data + natsMsg_GetDataLength(reply), nullptr, /*allow_exceptions=*/false);
    if (ack.is_discarded() || !ack.is_object()) {
      error = "a PubAck that is not JSON";
    } else if (const auto e = ack.find("error"); e != ack.end()) {
      error = e->is_object() ? e->value("description", std::string("refused")) + " (JetStream error " +
                                   std::to_string(e->value("err_code", 0)) + ")"
                             : std::string("refused");
    } else if (!ack.contains("seq")) {
      error = "a PubAck without a sequence";
    } else {
      duplicate = ack.value("duplicate", false);
    }
  }
  std::lock_guard lock(mutex_);
  const auto it = attempts_.find(number);
  if (it == attempts_.end()) {
    return;  // an attempt from before a rewind: the re-send answers for it
  }
  const std::uint64_t position = it->second.position;
  attempts_.erase(it);
  if (error) {
    if (const Entry* entry = entryAt(position); entry != nullptr && !entry->acked) {
      failed("event " + std::to_string(entry->id) + ": " + *error);
    }
    return;
  }
  acknowledge(position, duplicate);
  popAcknowledged();
  changed_.notify_all();
}

void Publisher::readLoop() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) {
        return;
      }
    }
    natsMsg* raw = nullptr;
    const natsStatus s = natsSubscription_NextMsg(&raw, replies_.get(), kReadTimeout.count());
    MessagePtr reply(raw);
    if (s == NATS_OK) {
      handleReply(reply.get());
    } else if (s != NATS_TIMEOUT) {
      std::this_thread::sleep_for(kReadTimeout);  // closed or a slow consumer: no busy loop
    }
  }
}

bool Publisher::rewind(std::unique_lock<std::mutex>& lock) {
  if (!connection_->connected()) {
    return false;
  }
  lock.unlock();
  auto position = recoverPosition(*connection_, options_.stream, site_);
  lock.lock();
  if (!position) {
    stats_.lastError = position.error().message;
    return false;
  }
  attempts_.clear();
  const std::string last = *position ? (*position)->messageId : std::string();
  if (!last.empty()) {
    // The stream holds every message up to its last one: the entries up to it are done.
    const auto stored = std::find_if(entries_.begin(), entries_.end(),
                                     [&](const Entry& entry) { return entry.messageId == last; });
    if (stored != entries_.end()) {
      const auto count = static_cast<std::uint64_t>(stored - entries_.begin()) + 1;
      for (std::uint64_t i = 0; i < count; ++i) {
        acknowledge(frontPosition_ + i, /*duplicate=*/false);
      }
      popAcknowledged();
    }
  }
  lastStored_ = last;
  nextPosition_ = frontPosition_;
  needRewind_ = false;
  ++stats_.rewinds;
  changed_.notify_all();
  return true;
}

void Publisher::sendLoop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    // Attempts are numbered in send order with one ackTimeout, so their deadlines are in order too:
    // only the oldest can be due (a scan of every outstanding attempt per send cost a tenth of the time).
    while (!attempts_.empty() && attempts_.begin()->second.deadline <= now) {
      const auto it = attempts_.begin();
      if (const Entry* entry = entryAt(it->second.position); entry != nullptr && !entry->acked) {
        failed("event " + std::to_string(entry->id) + ": no PubAck within " +
               std::to_string(options_.ackTimeout.count()) + " ms");
      }
      attempts_.erase(it);
    }
    if (needRewind_) {
      if (!degraded_) {
        // Once per outage, when it is noticed; the INFO line says when it is over.
        degraded_ = true;
        if (logger_) {
          logger_->warning("publishing to JetStream failed (" + stats_.lastError +
                           "); publishing again from " +
                           (entries_.empty() ? std::string("the next event")
                                             : "event " + std::to_string(entries_.front().id)) +
                           " once the stream answers");
        }
      }
      if (pause_.count() > 0 && work_.wait_for(lock, pause_, [&] { return stop_; })) {
        break;
      }
      // Whether it worked or not, the next rewind without an acknowledgement in between waits longer.
      rewind(lock);
      pause_ = std::min(kMaxPause, std::max(options_.retryPause, pause_ * 2));
      continue;
    }
    if (nextPosition_ < frontPosition_ + entries_.size()) {
      const std::size_t index = nextPosition_ - frontPosition_;
      const Entry& entry = entries_[index];
      const std::string& expect = index == 0 ? lastStored_ : entries_[index - 1].messageId;
      const std::uint64_t number = ++attemptCounter_;
      const std::string reply = inbox_ + "." + std::to_string(number);
      natsMsg* raw = nullptr;
      natsStatus s = natsMsg_Create(&raw, entry.subject.c_str(), reply.c_str(), entry.payload.data(),
                                    static_cast<int>(entry.payload.size()));
      MessagePtr message(raw);
      if (s == NATS_OK) {
        s = natsMsgHeader_Set(message.get(), "Nats-Msg-Id", entry.messageId.c_str());
      }
      if (s == NATS_OK && !expect.empty()) {
        s = natsMsgHeader_Set(message.get(), "Nats-Expected-Last-Msg-Id", expect.c_str());
      }
      if (s != NATS_OK) {
        failed("event " + std::to_string(entry.id) + ": " + natsError("cannot build the message", s).message);
        continue;
      }
      attempts_[number] = Attempt{nextPosition_, now + options_.ackTimeout};
      ++nextPosition_;
      ++stats_.sends;
      lock.unlock();
      s = natsConnection_PublishMsg(connection_->nats(), message.get());
      lock.lock();
      if (s != NATS_OK) {
        attempts_.erase(number);
        failed(natsError("cannot send", s).message);
      }
      continue;
    }
    auto until = now + std::chrono::seconds(1);
    if (!attempts_.empty()) {
      until = std::min(until, attempts_.begin()->second.deadline);
    }
    work_.wait_until(lock, until, [&] {
      return stop_ || needRewind_ || nextPosition_ < frontPosition_ + entries_.size();
    });
  }
}

}  // namespace sgeventd::broker
