#include "store/wal_syncer.h"

#include "store/cursor_journal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

namespace sgeventd::store {

namespace {

// SQLite names the log after the database's real file, so a state_database reached through a symlink
// has its log beside the target.
std::string walPathOf(const std::string& databasePath) {
  std::error_code ec;
  auto resolved = std::filesystem::weakly_canonical(databasePath, ec);
  return (ec ? databasePath : resolved.string()) + "-wal";
}

}  // namespace

WalSyncer::WalSyncer(const std::string& databasePath, std::chrono::milliseconds interval, core::LoggerPtr log)
    : walPath_(walPathOf(databasePath)),
      journalPath_(journalPathOf(databasePath)),
      interval_(interval),
      log_(std::move(log)) {
  if (interval_.count() > 0) {
    thread_ = std::thread([this] { run(); });
  }
}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  syncNow();
  if (journalHeader_ != nullptr) {
    ::munmap(journalHeader_, journalHeaderSize_);
  }
}

void WalSyncer::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) {
      break;
    }
    lock.unlock();
    syncNow();
    lock.lock();
  }
}

// SQLite removes the WAL when the last connection closes and may create it anew; a flush must reach the
// file the database uses now, not one that was unlinked.
bool WalSyncer::reopenIfReplaced() {
  struct stat byPath {};
  if (::stat(walPath_.c_str(), &byPath) != 0) {
    fd_.reset();
    return false;
  }
  if (fd_.valid()) {
    struct stat open {};
    if (::fstat(fd_.get(), &open) == 0 && open.st_dev == byPath.st_dev && open.st_ino == byPath.st_ino) {
      return true;
    }
  }
  fd_.reset(::open(walPath_.c_str(), O_RDONLY | O_CLOEXEC));
  lastSize_ = -1;
  lastModifiedNanos_ = -1;
  return fd_.valid();
}

bool WalSyncer::syncNow() {
  std::lock_guard lock(mutex_);
  syncJournal();
  return syncWal();
}

void WalSyncer::syncJournal() {
  // The daemon truncates and resizes the journal but never replaces it: the descriptor stays good.
  bool first = false;
  if (!journalFd_.valid()) {
    journalFd_.reset(::open(journalPath_.c_str(), O_RDWR | O_CLOEXEC));
    if (!journalFd_.valid()) {
      return;  // state_sync = full, or no daemon yet: nothing to flush
    }
    journalHeaderSize_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* header =
        ::mmap(nullptr, journalHeaderSize_, PROT_READ | PROT_WRITE, MAP_SHARED, journalFd_.get(), 0);
    journalHeader_ = header == MAP_FAILED ? nullptr : header;  // unmapped: flush every interval, as before
    first = true;
  }
  std::uint64_t* written = journalHeader_ == nullptr
                               ? nullptr
                               : reinterpret_cast<std::uint64_t*>(static_cast<std::uint8_t*>(journalHeader_) +
                                                                  kJournalWrittenOffset);
  // Cleared before the flush: a write after this is flushed next time.
  const bool changed = written == nullptr ||
                       std::atomic_ref<std::uint64_t>(*written).exchange(0, std::memory_order_seq_cst) != 0;
  if (!changed && !first && !journalFailing_) {
    return;
  }
  if (::fdatasync(journalFd_.get()) != 0) {
    if (written != nullptr) {
      std::atomic_ref<std::uint64_t>(*written).store(1, std::memory_order_relaxed);  // try again next time
    }
    if (!journalFailing_ && log_) {
      log_->error("Cannot flush the cursor journal " + journalPath_ + " to disk: " + std::strerror(errno) +
                  ". Cursors since the last flush may roll back in a power cut; retrying every interval.");
    }
    journalFailing_ = true;
    return;
  }
  ++journalFlushes_;
  if (journalFailing_ && log_) {
    log_->info("The cursor journal " + journalPath_ + " is flushed to disk again.");
  }
  journalFailing_ = false;
}

bool WalSyncer::syncWal() {
  if (!reopenIfReplaced()) {
    return false;
  }
  struct stat now {};
  if (::fstat(fd_.get(), &now) != 0) {
    return false;
  }
  const std::int64_t modified =
      static_cast<std::int64_t>(now.st_mtim.tv_sec) * 1'000'000'000 + now.st_mtim.tv_nsec;
  if (now.st_size == lastSize_ && modified == lastModifiedNanos_) {
    return false;
  }
  if (::fdatasync(fd_.get()) != 0) {
    if (!failing_ && log_) {
      log_->error("Cannot flush the state database's log " + walPath_ + " to disk: " + std::strerror(errno) +
                  ". Commits since the last flush may be lost in a power cut; retrying every interval.");
    }
    failing_ = true;
    return false;
  }
  if (failing_ && log_) {
    log_->info("The state database's log " + walPath_ + " is flushed to disk again.");
  }
  failing_ = false;
  // File times move in coarse ticks: a commit landing in the same tick as the stat above would leave
  // size and time unchanged and never be flushed. A file touched that recently is flushed once more.
  struct timespec wall {};
  ::clock_gettime(CLOCK_REALTIME, &wall);
  const std::int64_t wallNanos = static_cast<std::int64_t>(wall.tv_sec) * 1'000'000'000 + wall.tv_nsec;
  const bool settled = wallNanos - modified > 50'000'000;
  lastSize_ = settled ? now.st_size : -1;
  lastModifiedNanos_ = settled ? modified : -1;
  ++flushes_;
  return true;
}

std::uint64_t WalSyncer::flushes() const {
  std::lock_guard lock(mutex_);
  return flushes_;
}

std::uint64_t WalSyncer::journalFlushes() const {
  std::lock_guard lock(mutex_);
  return journalFlushes_;
}

}  // namespace sgeventd::store
