#include "plugins/change_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace sgeventd::plugins {
namespace {

constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                                IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

std::string errnoText() { return std::error_code(errno, std::generic_category()).message(); }

int pollMs(std::chrono::steady_clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

Expected<std::unique_ptr<ChangeWatcher>> ChangeWatcher::create(std::chrono::milliseconds debounce) {
  core::UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify.valid()) {
    return fail("inotify_init1 failed: " + errnoText());
  }
  core::UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) {
    return fail("eventfd failed: " + errnoText());
  }
  return std::unique_ptr<ChangeWatcher>(new ChangeWatcher(std::move(inotify), std::move(wake), debounce));
}

ChangeWatcher::ChangeWatcher(core::UniqueFd inotify, core::UniqueFd wakeFd,
                             std::chrono::milliseconds debounce)
    : inotify_(std::move(inotify)), wake_(std::move(wakeFd)), debounce_(debounce) {}

void ChangeWatcher::watch(const std::vector<std::filesystem::path>& directories) {
  std::lock_guard lock(mutex_);
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (std::find(directories.begin(), directories.end(), it->second) == directories.end()) {
      ::inotify_rm_watch(inotify_.get(), it->first);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  wanted_ = directories;
  addMissingWatches();
}

void ChangeWatcher::addMissingWatches() {
  for (const auto& directory : wanted_) {
    const bool watched = std::any_of(watches_.begin(), watches_.end(),
                                     [&](const auto& entry) { return entry.second == directory; });
    if (watched) {
      continue;
    }
    int wd = ::inotify_add_watch(inotify_.get(), directory.c_str(), kMask);
    if (wd >= 0) {
      watches_[wd] = directory;
    }
  }
}

bool ChangeWatcher::drain() {
  alignas(struct inotify_event) std::array<char, 16384> buffer{};
  bool changed = false;
  for (;;) {
    ssize_t got = ::read(inotify_.get(), buffer.data(), buffer.size());
    if (got <= 0) {
      return changed;  // EAGAIN: drained
    }
    for (ssize_t offset = 0; offset < got;) {
      inotify_event record{};
      std::memcpy(&record, buffer.data() + offset, sizeof(record));
      offset += static_cast<ssize_t>(sizeof(inotify_event) + record.len);
      if ((record.mask & IN_IGNORED) != 0) {
        watches_.erase(record.wd);  // the folder went away; addMissingWatches() retries it
      }
      changed = true;  // IN_Q_OVERFLOW included: the caller rescans everything anyway
    }
  }
}

void ChangeWatcher::debounce() {
  // Installers write several files and editors rename; wait for a quiet period, but never forever.
  const auto hardStop = std::chrono::steady_clock::now() + 4 * debounce_;
  for (;;) {
    const auto quietUntil = std::min(std::chrono::steady_clock::now() + debounce_, hardStop);
    pollfd fd{inotify_.get(), POLLIN, 0};
    int ready = ::poll(&fd, 1, pollMs(quietUntil));
    if (ready <= 0 || !drain() || std::chrono::steady_clock::now() >= hardStop) {
      return;
    }
  }
}

bool ChangeWatcher::wait(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mutex_);
  addMissingWatches();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{inotify_.get(), POLLIN, 0}, pollfd{wake_.get(), POLLIN, 0}};
    int ready = ::poll(fds.data(), fds.size(), pollMs(deadline));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      return false;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto ignored = ::read(wake_.get(), &count, sizeof(count));
      return false;
    }
    if (drain()) {
      debounce();
      return true;
    }
  }
}

void ChangeWatcher::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wake_.get(), &one, sizeof(one));
}

}  // namespace sgeventd::plugins
