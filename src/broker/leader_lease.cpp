#include "broker/leader_lease.h"

#include <unistd.h>

#include <array>
#include <string_view>

namespace sgeventd::broker {

std::string defaultLeaseHolder() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) {
    host = {'?'};
  }
  return std::string(host.data()) + " pid " + std::to_string(::getpid());
}

Expected<std::unique_ptr<LeaderLease>> LeaderLease::open(ConnectionPtr connection, LeaseSettings settings,
                                                         core::LoggerPtr log) {
  if (!connection) {
    return fail("no NATS connection");
  }
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = settings.bucket.c_str();
  config.Description = "sgeventd: which publisher daemon of a site publishes";
  config.History = 1;
  config.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(settings.ttl).count();
  config.StorageType = js_FileStorage;
  config.Replicas = settings.replicas;
  kvStore* kv = nullptr;
  natsStatus s = js_CreateKeyValue(&kv, connection->jetStream(), &config);
  if (s != NATS_OK) {
    // Created by another daemon with other settings: bind to it as it is.
    s = js_KeyValue(&kv, connection->jetStream(), settings.bucket.c_str());
  }
  if (s != NATS_OK) {
    return unexpected(natsError("cannot open the key-value bucket " + settings.bucket, s));
  }
  return std::unique_ptr<LeaderLease>(
      new LeaderLease(std::move(connection), std::move(settings), std::move(log), kv));
}

LeaderLease::LeaderLease(ConnectionPtr connection, LeaseSettings settings, core::LoggerPtr log, kvStore* kv)
    : connection_(std::move(connection)), settings_(std::move(settings)), log_(std::move(log)), kv_(kv) {}

LeaderLease::~LeaderLease() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) {
    renewer_.join();
  }
  if (held_) {
    // A clean stop hands over at once instead of after the ttl. Only if the key is still ours.
    kvEntry* entry = nullptr;
    if (kvStore_Get(&entry, kv_, settings_.key.c_str()) == NATS_OK && kvEntry_Revision(entry) == revision_) {
      kvStore_Delete(kv_, settings_.key.c_str());
    }
    kvEntry_Destroy(entry);
  }
  kvStore_Destroy(kv_);
}

bool LeaderLease::tryClaim(std::string& current) {
  std::uint64_t revision = 0;
  if (kvStore_Create(&revision, kv_, settings_.key.c_str(), settings_.holder.data(),
                     static_cast<int>(settings_.holder.size())) == NATS_OK) {
    std::lock_guard lock(mutex_);
    held_ = true;
    revision_ = revision;
    lastHolder_ = settings_.holder;
    return true;
  }
  current.clear();
  kvEntry* entry = nullptr;
  if (kvStore_Get(&entry, kv_, settings_.key.c_str()) == NATS_OK) {
    current.assign(static_cast<const char*>(kvEntry_Value(entry)),
                   static_cast<std::size_t>(kvEntry_ValueLen(entry)));
  }
  kvEntry_Destroy(entry);
  std::lock_guard lock(mutex_);
  lastHolder_ = current;
  return false;
}

bool LeaderLease::acquire(core::Shutdown& shutdown) {
  std::string waitingBehind = "\x01";  // never a holder: the first wait is logged
  while (!shutdown.requested()) {
    std::string current;
    if (tryClaim(current)) {
      if (log_) {
        log_->info("Leading: this daemon (" + settings_.holder + ") publishes the site's events (lease " +
                   settings_.bucket + "/" + settings_.key + ").");
      }
      return true;
    }
    if (log_ && current != waitingBehind) {
      log_->info(
          "Standby: " + (current.empty() ? std::string("the lease cannot be read yet") : current + " leads") +
          "; this daemon takes over when its lease (" + std::to_string(settings_.ttl.count()) +
          " ms) runs out.");
      waitingBehind = current;
    }
    shutdown.waitFor(settings_.retryEvery);
  }
  return false;
}

LeaderLease::Renewal LeaderLease::renew(std::string& current) {
  std::uint64_t last = 0;
  {
    std::lock_guard lock(mutex_);
    last = revision_;
  }
  std::uint64_t revision = 0;
  if (kvStore_Update(&revision, kv_, settings_.key.c_str(), settings_.holder.data(),
                     static_cast<int>(settings_.holder.size()), last) == NATS_OK) {
    std::lock_guard lock(mutex_);
    revision_ = revision;
    return Renewal::Renewed;
  }
  if (!connection_->connected()) {
    return Renewal::Unreachable;
  }
  // An update that timed out may still have been stored (a clustered bucket answers after its quorum):
  // the key holding our own name is still ours, at its current revision.
  kvEntry* entry = nullptr;
  if (kvStore_Get(&entry, kv_, settings_.key.c_str()) == NATS_OK &&
      std::string_view(static_cast<const char*>(kvEntry_Value(entry)),
                       static_cast<std::size_t>(kvEntry_ValueLen(entry))) == settings_.holder) {
    std::lock_guard lock(mutex_);
    revision_ = kvEntry_Revision(entry);
    kvEntry_Destroy(entry);
    return Renewal::Renewed;
  }
  kvEntry_Destroy(entry);
  // The revision moved: our entry expired while NATS was away (claim it again), or another daemon took it.
  if (tryClaim(current)) {
    if (log_) {
      log_->warning("The leadership lease had expired; this daemon claimed it again (nobody else held it).");
    }
    return Renewal::Renewed;
  }
  return current.empty() ? Renewal::Unreachable : Renewal::Lost;
}

void LeaderLease::keep(std::function<void(const std::string&)> onLost) {
  renewer_ = std::thread(&LeaderLease::renewLoop, this, std::move(onLost));
}

void LeaderLease::renewLoop(std::function<void(const std::string&)> onLost) {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (wake_.wait_for(lock, settings_.renewEvery, [&] { return stop_; })) {
      return;
    }
    lock.unlock();
    std::string current;
    const auto renewal = renew(current);
    lock.lock();
    if (renewal == Renewal::Lost) {
      held_ = false;
      lock.unlock();
      if (log_) {
        log_->error("Lost the leadership lease to " + current + ": this daemon stops publishing.");
      }
      if (onLost) {
        onLost(current);
      }
      return;
    }
  }
}

bool LeaderLease::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

std::string LeaderLease::lastHolder() const {
  std::lock_guard lock(mutex_);
  return lastHolder_;
}

}  // namespace sgeventd::broker
