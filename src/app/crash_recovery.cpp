#include "app/crash_recovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/process_isolation.h"
#include "core/clock.h"
#include "engine/crash_note.h"
#include "plugins/catalog.h"

namespace sgeventd::app {
namespace fs = std::filesystem;

namespace {

std::string describeSignal(int sig) {
  const char* name = ::strsignal(sig);  // at start-up, before other threads: its static buffer is ours
  return fmt::format("signal {} ({})", sig, name != nullptr ? name : "unknown");
}

// How many crashes on one event a plugin gets: its retry_attempts, or one with retry_on = never.
int crashesAllowed(const config::DaemonConfig& c, const std::string& plugin) {
  auto retry = c.retry;
  if (const auto it = c.pluginOverrides.find(plugin); it != c.pluginOverrides.end() && it->second.retry) {
    retry = *it->second.retry;
  }
  return retry.retryOn == config::RetryOn::Never ? 1 : std::max(1, retry.attempts);
}

std::chrono::seconds reactivateAfter(const config::DaemonConfig& c, const std::string& plugin) {
  if (const auto it = c.pluginOverrides.find(plugin); it != c.pluginOverrides.end()) {
    return it->second.reactivateAfter.value_or(c.reactivateAfter);
  }
  return c.reactivateAfter;
}

std::string readNote(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text(engine::crash_note::kRecordCapacity * 2, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  return text;
}

// The plugin that was in a callback when the previous run died gets a Crashed attempt for that event.
void handleNote(const config::DaemonConfig& c, store::StateStore& store, core::Logger& log,
                const engine::crash_note::Note& note) {
  const auto now = core::systemClock()->now();
  const auto signal = describeSignal(note.signal);
  const int allowed = crashesAllowed(c, note.plugin);
  auto counted =
      store.countCrash({note.collection, note.plugin, note.eventId, note.callback, 0, note.signal, now});
  if (!counted) {
    log.critical(
        fmt::format("Plugin {} crashed the daemon with {} in callback {} on event {}; the crash could "
                    "not be counted: {}",
                    note.plugin, signal, note.callback, note.eventId, counted.error().message));
    return;
  }
  const int crashes = counted->crashes;
  const std::string what = fmt::format(
      "Plugin {} crashed the daemon with {} in callback {} on event {}; crash {} of {} on this event",
      note.plugin, signal, note.callback, note.eventId, crashes, allowed);
  const bool last = crashes >= allowed;
  // Listed with the other failures (`sgeventd failures list`); without its event, so it cannot be
  // replayed, which would only crash the daemon again.
  (void)store.recordFailure({note.collection, note.plugin, note.callback, note.eventId, crashes,
                             fmt::format("crashed: the daemon died of {} in this callback", signal), now,
                             last, ""});
  // A plugin in a worker process cannot take the daemon down itself: the daemon's side of it did (its
  // lane was in the callback), or the configuration changed since. Either way no loop is to be broken.
  const auto& isolation = isolationOf(c, note.plugin);
  const auto marks = store.crashIsolations();
  const bool moved = marks && std::any_of(marks->begin(), marks->end(), [&](const store::CrashIsolation& m) {
                       return m.collection == note.collection && m.plugin == note.plugin;
                     });
  if (isolation.process || moved) {
    (void)store.clearCrashCount(note.collection, note.plugin);
    log.critical(what + fmt::format(". It runs in a worker process now ({}), where a crash ends only that "
                                    "process.",
                                    isolation.process ? "isolation = process" : "on_crash = isolate"));
    return;
  }
  if (!last) {
    log.critical(what + fmt::format(". It runs event {} again now.", note.eventId));
    return;
  }
  const std::string reason =
      fmt::format("crashed the daemon with {} in callback {} on event {}, {} time(s) in a row", signal,
                  note.callback, note.eventId, crashes);
  if (isolation.isolateOnCrash) {
    auto isolated = store.setCrashIsolation(
        {note.collection, note.plugin, note.path, crashSignature(note.path), reason, now});
    if (isolated) {
      (void)store.clearCrashCount(note.collection, note.plugin);
      log.critical(what +
                   ". on_crash is isolate: from now on it runs in a worker process, where a crash ends only "
                   "that process; a new version of its file brings it back into the daemon's threads.");
      return;
    }
    log.error("Could not move plugin " + note.plugin + " to a worker process: " + isolated.error().message +
              "; it is deactivated instead.");
  }
  // As the dispatcher deactivates a plugin: Lane::addMember keeps it so, with its resume point.
  auto deactivated = store.setPluginStatus(
      {note.collection, note.plugin, store::PluginState::Inactive, reason, now, note.eventId, note.callback});
  if (!deactivated) {
    log.critical(what + ". It could not be deactivated: " + deactivated.error().message);
    return;
  }
  (void)store.clearCrashCount(note.collection, note.plugin);
  std::string when = "when its file changes, on SIGHUP or when an operator enables it";
  if (const auto after = reactivateAfter(c, note.plugin); after.count() > 0) {
    when = fmt::format("in {} s, or {}", after.count(), when);
  }
  log.critical(what + fmt::format(". It is deactivated; it resumes at event {} (callback {}) {}.",
                                  note.eventId, note.callback, when));
}

// A count is for consecutive crashes on one event: once the plugin has processed that event, it is over.
void forgetPassedCrashes(store::StateStore& store, core::Logger& log) {
  auto counts = store.crashCounts();
  if (!counts) {
    log.warning("Cannot read the crash counts: " + counts.error().message);
    return;
  }
  for (const auto& count : *counts) {
    auto checkpoint = store.loadCheckpoint(count.collection, count.plugin);
    if (!checkpoint || !*checkpoint) {
      continue;
    }
    const auto& cp = **checkpoint;
    const bool waiting = std::any_of(cp.gaps.begin(), cp.gaps.end(), [&](const store::GapRange& g) {
      return g.first <= count.eventId && count.eventId <= g.last;
    });
    if (cp.cursor >= count.eventId && !waiting) {
      (void)store.clearCrashCount(count.collection, count.plugin);
      log.info(
          fmt::format("Plugin {} got past event {}, where it had crashed the daemon {} time(s); that count "
                      "is over.",
                      count.plugin, count.eventId, count.crashes));
    }
  }
}

}  // namespace

fs::path crashNotePath(const config::DaemonConfig& c) { return fs::path(c.stateDatabase + ".crash"); }

std::string crashSignature(const fs::path& file) {
  const auto s = plugins::fileSignature(file);
  return s ? fmt::format("{}:{}:{}:{}", s->size, s->mtimeNs, s->inode, s->device) : std::string();
}

CrashIsolated::CrashIsolated(store::StateStore& store, core::LoggerPtr log,
                             std::vector<store::CrashIsolation> marks)
    : store_(store), log_(std::move(log)), marks_(std::move(marks)) {}

bool CrashIsolated::contains(const std::string& pluginName) {
  std::lock_guard lock(mutex_);
  bool found = false;
  for (auto it = marks_.begin(); it != marks_.end();) {
    if (it->plugin != pluginName) {
      ++it;
      continue;
    }
    const auto now = crashSignature(it->path);
    if (!now.empty() && now == it->signature) {
      found = true;
      ++it;
      continue;
    }
    log_->info(
        fmt::format("Plugin {} changed since it was moved to a worker process (it {}); it runs in the "
                    "daemon's threads again.",
                    it->plugin, it->reason));
    (void)store_.clearCrashIsolation(it->collection, it->plugin);
    it = marks_.erase(it);
  }
  return found;
}

std::vector<std::string> CrashIsolated::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& mark : marks_) {
    out.push_back(mark.plugin);
  }
  return out;
}

std::shared_ptr<CrashIsolated> recoverFromCrash(const config::DaemonConfig& c, store::StateStore& store,
                                                core::LoggerPtr log) {
  const auto path = crashNotePath(c);
  std::error_code error;
  if (fs::exists(path, error)) {
    // Empty after a run that ended without a crash in a callback (a kill -9 included): nobody to blame.
    const auto text = readNote(path);
    if (!text.empty()) {
      if (auto note = engine::crash_note::parse(text)) {
        handleNote(c, store, *log, *note);
      } else {
        log->warning(
            fmt::format("The previous run left a crash note that cannot be read ({}): {}; nobody is "
                        "blamed for it.",
                        path.string(), note.error().message));
      }
    }
    fs::remove(path, error);  // handled: the same crash is never counted twice
  }
  forgetPassedCrashes(store, *log);
  auto marks = store.crashIsolations();
  if (!marks) {
    log->warning("Cannot read which plugins were moved to a worker process after a crash: " +
                 marks.error().message);
    marks = std::vector<store::CrashIsolation>{};
  }
  auto isolated = std::make_shared<CrashIsolated>(store, log, *marks);
  for (const auto& mark : *marks) {
    if (isolated->contains(mark.plugin)) {
      log->warning(
          fmt::format("Plugin {} runs in a worker process: it {} (on_crash = isolate). A new version of "
                      "its file brings it back into the daemon's threads.",
                      mark.plugin, mark.reason));
    }
  }
  return isolated;
}

}  // namespace sgeventd::app
