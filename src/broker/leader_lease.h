#pragma once
// Which of two (or more) publisher daemons of one site publishes: the one holding a key in a JetStream
// key-value bucket whose entries expire after `ttl`. The leader renews the key every `renewEvery` with
// the revision it last wrote, so a renewal succeeds only while nobody else took the key; a standby tries
// to create the key every `retryEvery`, which succeeds once the leader's entry expired (it died) or was
// deleted (it stopped cleanly). With the defaults a standby takes over within ttl + retryEvery = 7 s.
//
// Two publishers overlapping for a moment publish nothing twice (the stream's duplicate window and the
// expected-last-message header), so the lease is about doing the work once, not about correctness.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/connection.h"
#include "core/log.h"
#include "core/shutdown.h"

namespace sgeventd::broker {

struct LeaseSettings {
  std::string bucket = "sgeventd_leaders";
  std::string key;     // one per site: the site's subject token
  std::string holder;  // who this daemon is, shown to the standby: "<host> pid <pid>"
  int replicas = 1;
  std::chrono::milliseconds ttl{6000};
  std::chrono::milliseconds renewEvery{2000};
  std::chrono::milliseconds retryEvery{1000};
};

// "<host name> pid <pid>"
std::string defaultLeaseHolder();

class LeaderLease {
 public:
  // Creates the bucket when it is missing (or binds to it).
  static Expected<std::unique_ptr<LeaderLease>> open(ConnectionPtr connection, LeaseSettings settings,
                                                     core::LoggerPtr log);
  // Stops renewing and, when this daemon holds the lease, deletes the key so a standby takes over at once.
  ~LeaderLease();
  LeaderLease(const LeaderLease&) = delete;
  LeaderLease& operator=(const LeaderLease&) = delete;

  // Waits until this daemon holds the lease (true) or a stop is requested (false). Says once, at INFO,
  // which holder it waits behind, and again when that changes.
  bool acquire(core::Shutdown& shutdown);
  // From acquire() on: renews in a thread of its own. `onLost` is called once, from that thread, when
  // another daemon holds the key. While NATS cannot be reached the renewal is retried; the lease is
  // only lost when somebody else is found holding it.
  void keep(std::function<void(const std::string& holder)> onLost);
  bool held() const;
  // The holder last seen in the key ("" when nobody).
  std::string lastHolder() const;

 private:
  LeaderLease(ConnectionPtr connection, LeaseSettings settings, core::LoggerPtr log, kvStore* kv);
  // One attempt to create the key; on failure `current` is who holds it ("" if it could not be read).
  bool tryClaim(std::string& current);
  // One renewal: true while the lease is ours (renewed, or found expired and claimed again).
  enum class Renewal { Renewed, Unreachable, Lost };
  Renewal renew(std::string& current);
  void renewLoop(std::function<void(const std::string&)> onLost);

  ConnectionPtr connection_;
  LeaseSettings settings_;
  core::LoggerPtr log_;
  kvStore* kv_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool held_ = false;
  std::uint64_t revision_ = 0;
  std::string lastHolder_;
  std::thread renewer_;
};

}  // namespace sgeventd::broker
