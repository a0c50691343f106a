#include "legacy/import.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>

#include "core/plugin_path.h"
#include "legacy/pickle.h"

namespace sgeventd::legacy {

using store::Checkpoint;
using store::GapRange;
using store::StateStore;
using store::TimePoint;

namespace {

constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{256} << 20;
// A pickle's datetime has any year 1..9999, but TimePoint (system_clock) counts nanoseconds in 64 bits,
// 1677..2262. Expiries are therefore compared and converted as microseconds (Expiry holds them all),
// and one still ahead after 2200 (a hand-edited "never expires") is stored as 2200-01-01 UTC.
using Expiry = std::chrono::sys_time<std::chrono::microseconds>;
const Expiry kLatestExpiry{std::chrono::seconds{7'258'118'400}};  // 2200-01-01 UTC

enum class ReadStatus { Ok, Missing };

Expected<ReadStatus> readFile(const std::string& path, std::string& out) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec && !std::filesystem::exists(status)) {
    if (ec == std::errc::no_such_file_or_directory ||
        status.type() == std::filesystem::file_type::not_found) {
      return ReadStatus::Missing;
    }
    return fail("cannot read " + path + ": " + ec.message());
  }
  if (!std::filesystem::exists(status)) {
    return ReadStatus::Missing;
  }
  if (!std::filesystem::is_regular_file(status)) {
    return fail(path + " is not a regular file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return fail("cannot read " + path + ": " + ec.message());
  }
  if (size > kMaxFileBytes) {
    return fail(path + " is " + std::to_string(size) + " bytes, more than an eventIdFile can sensibly be");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail("cannot read " + path + ": " + std::strerror(errno));
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return fail("cannot read " + path + ": " + std::strerror(errno));
  }
  return ReadStatus::Ok;
}

// The pre-2011 format: a text file whose first line is the last event id (Python's `line.isdigit()`
// after `strip()`).
std::optional<std::string_view> singleIdLine(std::string_view content) {
  auto line = content.substr(0, content.find('\n'));
  const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; };
  while (!line.empty() && isSpace(line.front())) {
    line.remove_prefix(1);
  }
  while (!line.empty() && isSpace(line.back())) {
    line.remove_suffix(1);
  }
  if (line.empty() || !std::all_of(line.begin(), line.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return line;
}

std::optional<std::int64_t> parseId(std::string_view digits) {
  if (digits.empty() || digits.size() > 19) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const int digit = c - '0';
    if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value;
}

bool sameWallTime(const std::tm& a, const std::tm& b) {
  return a.tm_year == b.tm_year && a.tm_mon == b.tm_mon && a.tm_mday == b.tm_mday && a.tm_hour == b.tm_hour &&
         a.tm_min == b.tm_min && a.tm_sec == b.tm_sec;
}

// A naive local datetime (how the original stores backlog expiries) as a UTC time point, in the time
// zone of this process. An ambiguous wall time (the hour repeated when DST ends) resolves by `fold`, as
// Python does; a wall time that never existed (skipped by DST) takes mktime's reading.
Expiry localToUtc(const pickle::DateTime& dt) {
  std::tm wall{};
  wall.tm_year = dt.year - 1900;
  wall.tm_mon = dt.month - 1;
  wall.tm_mday = dt.day;
  wall.tm_hour = dt.hour;
  wall.tm_min = dt.minute;
  wall.tm_sec = dt.second;
  std::optional<std::time_t> candidates[2];
  for (int isDst = 0; isDst < 2; ++isDst) {
    std::tm attempt = wall;
    attempt.tm_isdst = isDst;
    const std::time_t t = std::mktime(&attempt);
    std::tm back{};
    if (t != static_cast<std::time_t>(-1) && ::localtime_r(&t, &back) != nullptr &&
        sameWallTime(back, wall)) {
      candidates[isDst] = t;
    }
  }
  std::time_t seconds = 0;
  if (candidates[0] && candidates[1] && *candidates[0] != *candidates[1]) {
    seconds = dt.fold ? std::max(*candidates[0], *candidates[1]) : std::min(*candidates[0], *candidates[1]);
  } else if (candidates[0] || candidates[1]) {
    seconds = candidates[0] ? *candidates[0] : *candidates[1];
  } else {
    std::tm attempt = wall;
    attempt.tm_isdst = -1;
    seconds = std::mktime(&attempt);
  }
  // time_t is 64-bit seconds and a 4-digit year is about 3.2e11 of them: the microseconds fit.
  return Expiry(std::chrono::seconds(seconds)) + std::chrono::microseconds(dt.microsecond);
}

std::string utcText(TimePoint at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

// "1 plugin", "3 plugins", "2 backlog entries".
std::string plural(std::size_t count, const std::string& word) {
  if (count == 1) {
    return "1 " + word;
  }
  if (word.size() > 1 && word.back() == 'y' &&
      std::string("aeiou").find(word[word.size() - 2]) == std::string::npos) {
    return std::to_string(count) + " " + word.substr(0, word.size() - 1) + "ies";
  }
  return std::to_string(count) + " " + word + "s";
}

std::size_t gapIds(const Checkpoint& checkpoint) {
  std::size_t ids = 0;
  for (const auto& gap : checkpoint.gaps) {
    ids += static_cast<std::size_t>(gap.last - gap.first + 1);
  }
  return ids;
}

// The first bytes of a file, quoted, with anything unprintable as \xNN.
std::string shownStart(std::string_view content) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : content.substr(0, 24)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out + (content.size() > 24 ? "...\"" : "\"");
}

struct Backlog {
  std::int64_t id;
  TimePoint expires;
};

// Contiguous ids with the same expiry become one range (the original backlogs a whole gap at once).
std::vector<GapRange> toRanges(std::vector<Backlog> backlog) {
  std::sort(backlog.begin(), backlog.end(), [](const Backlog& a, const Backlog& b) { return a.id < b.id; });
  std::vector<GapRange> ranges;
  for (const auto& entry : backlog) {
    if (!ranges.empty() && ranges.back().last + 1 == entry.id && ranges.back().expires == entry.expires) {
      ranges.back().last = entry.id;
    } else {
      ranges.push_back(GapRange{entry.id, entry.id, entry.expires});
    }
  }
  return ranges;
}

class Importer {
 public:
  Importer(std::string path, TimePoint now, ImportReport& report)
      : path_(std::move(path)), now_(now), report_(report) {}

  // Turns the unpickled dict into checkpoints (and per-collection default cursors in `collectionCursors`).
  Expected<void> collect(const pickle::Value& root) {
    if (!root.is<pickle::Dict>()) {
      return fail("the file holds a pickled " + std::string(root.typeName()) +
                  ", not the dict of plugin collections the original daemon writes");
    }
    for (const auto& [collectionKey, collectionState] : root.as<pickle::Dict>().entries) {
      if (!collectionKey.is<pickle::Str>()) {
        warn("a collection key is a " + std::string(collectionKey.typeName()) + ", not a path: ignored");
        continue;
      }
      // The config keys state by the folder without trailing slashes; so must the import, or "/a/plugins/"
      // in the file would be a position no plugin ever reads.
      collectCollection(core::normalisePluginPath(collectionKey.as<pickle::Str>().utf8), collectionState);
    }
    return {};
  }

  std::vector<std::pair<std::string, std::int64_t>> collectionCursors;
  std::vector<Checkpoint> checkpoints;

 private:
  void warn(std::string message) { report_.warnings.push_back(std::move(message)); }

  static bool isInt(const pickle::Value& v) { return v.is<std::int64_t>(); }

  void collectCollection(const std::string& collection, const pickle::Value& state) {
    // Like the original, a falsy state (None, {}, 0) leaves the collection's plugins without a position.
    if (state.isNone() || (state.is<pickle::Dict>() && state.as<pickle::Dict>().entries.empty()) ||
        (isInt(state) && state.as<std::int64_t>() == 0)) {
      return;
    }
    if (state.is<pickle::BigInt>()) {
      warn("collection " + collection + " has the id " + state.as<pickle::BigInt>().text +
           ", out of the range of event ids: ignored");
      return;
    }
    if (isInt(state)) {
      if (state.as<std::int64_t>() < 0) {
        warn("collection " + collection + " has a negative id " + std::to_string(state.as<std::int64_t>()) +
             ": ignored");
      } else {
        collectionCursors.emplace_back(collection, state.as<std::int64_t>());
      }
      return;
    }
    if (!state.is<pickle::Dict>()) {
      warn("collection " + collection + " has a " + std::string(state.typeName()) + " state: ignored");
      return;
    }
    for (const auto& [pluginKey, pluginState] : state.as<pickle::Dict>().entries) {
      if (!pluginKey.is<pickle::Str>()) {
        warn("collection " + collection + " has a plugin key that is a " + std::string(pluginKey.typeName()) +
             ": ignored");
        continue;
      }
      collectPlugin(collection, pluginKey.as<pickle::Str>().utf8, pluginState);
    }
  }

  void collectPlugin(const std::string& collection, const std::string& plugin, const pickle::Value& state) {
    const std::string who = collection + " " + plugin;
    const pickle::Value* cursor = &state;  // Plugin.setState also takes a bare int
    const pickle::Value* backlog = nullptr;
    if (const auto* items = state.sequence()) {
      if (items->size() != 2) {
        warn(who + ": state is a " + std::string(state.typeName()) + " of " + std::to_string(items->size()) +
             " items, not (lastEventId, backlog): ignored");
        return;
      }
      cursor = &(*items)[0];
      backlog = &(*items)[1];
    }
    if (cursor->isNone()) {
      report_.skippedWithoutCursor.push_back(who);
      return;
    }
    if (cursor->is<pickle::BigInt>()) {
      warn(who + ": lastEventId " + cursor->as<pickle::BigInt>().text +
           " is out of the range of event ids: ignored");
      return;
    }
    if (!isInt(*cursor)) {
      warn(who + ": lastEventId is a " + std::string(cursor->typeName()) + ": ignored");
      return;
    }
    const auto lastEventId = cursor->as<std::int64_t>();
    if (lastEventId <= 0) {
      warn(who + ": lastEventId " + std::to_string(lastEventId) + " is not an event id: ignored");
      return;
    }
    Checkpoint checkpoint{collection, plugin, lastEventId, {}};
    if (backlog != nullptr && !backlog->isNone()) {
      if (!backlog->is<pickle::Dict>()) {
        warn(who + ": backlog is a " + std::string(backlog->typeName()) + ", not a dict: backlog ignored");
      } else {
        checkpoint.gaps = collectBacklog(who, lastEventId, backlog->as<pickle::Dict>());
      }
    }
    // "/a/plugins" and "/a/plugins/" were two positions for the same plugin: the later one wins.
    const auto same = std::find_if(checkpoints.begin(), checkpoints.end(), [&](const Checkpoint& c) {
      return c.collection == checkpoint.collection && c.plugin == checkpoint.plugin;
    });
    if (same != checkpoints.end()) {
      warn(who +
           ": in the file twice (its folder written with and without a trailing '/'): kept the later "
           "position, " +
           std::to_string(std::max(same->cursor, checkpoint.cursor)));
      const Checkpoint& dropped = checkpoint.cursor > same->cursor ? *same : checkpoint;
      report_.backlogIds -= std::min(report_.backlogIds, gapIds(dropped));
      if (checkpoint.cursor > same->cursor) {
        *same = std::move(checkpoint);
      }
      return;
    }
    checkpoints.push_back(std::move(checkpoint));
  }

  std::vector<GapRange> collectBacklog(const std::string& who, std::int64_t lastEventId,
                                       const pickle::Dict& backlog) {
    std::vector<Backlog> open;
    std::size_t ignored = 0;
    for (const auto& [id, expiry] : backlog.entries) {
      if (id.is<pickle::BigInt>()) {
        warn(who + ": backlog id " + id.as<pickle::BigInt>().text +
             " is out of the range of event ids: ignored");
        continue;
      }
      if (!isInt(id) || !expiry.is<pickle::DateTime>() || id.as<std::int64_t>() <= 0) {
        ++ignored;
        continue;
      }
      // An id at or above the cursor is still ahead of the plugin: the cursor covers it.
      if (id.as<std::int64_t>() >= lastEventId) {
        continue;
      }
      // One rule for every year: an expiry before now is dropped, whatever its distance from the epoch.
      const auto expires = localToUtc(expiry.as<pickle::DateTime>());
      if (expires < std::chrono::time_point_cast<std::chrono::microseconds>(now_)) {
        ++report_.expiredBacklogIds;
        continue;
      }
      const auto kept = std::min(expires, kLatestExpiry);
      open.push_back(Backlog{id.as<std::int64_t>(), TimePoint(kept.time_since_epoch())});
    }
    if (ignored > 0) {
      warn(who + ": " + plural(ignored, "backlog entry") + " not of the form {id: datetime}: ignored");
    }
    report_.backlogIds += open.size();
    return toRanges(std::move(open));
  }

  std::string path_;
  TimePoint now_;
  ImportReport& report_;
};

std::string pluginsSummary(const ImportReport& report) {
  std::string text = plural(report.imported.size(), "plugin");
  if (!report.imported.empty()) {
    const auto [low, high] =
        std::minmax_element(report.imported.begin(), report.imported.end(),
                            [](const Checkpoint& a, const Checkpoint& b) { return a.cursor < b.cursor; });
    text += " (cursor range " + std::to_string(low->cursor) + ".." + std::to_string(high->cursor) + ")";
  }
  return text;
}

Expected<ImportReport> importPickle(const std::string& path, const std::string& content, StateStore& store,
                                    core::Logger& log, TimePoint now, ImportReport report) {
  auto root = pickle::load(content);
  if (!root) {
    if (!pickle::startsWithAnOpcode(content)) {
      return fail("it is not a pickle file (it starts with " + shownStart(content) +
                  "); an eventIdFile is the original daemon's pickle, or a text file whose first line is an "
                  "event id");
    }
    return fail(root.error().message);
  }
  Importer importer(path, now, report);
  SGEVENTD_TRY(importer.collect(*root));

  for (auto& checkpoint : importer.checkpoints) {
    auto existing = store.loadCheckpoint(checkpoint.collection, checkpoint.plugin);
    if (!existing) {
      return tl::unexpected(existing.error());
    }
    if (existing->has_value()) {
      log.warning("Not importing " + checkpoint.collection + " " + checkpoint.plugin + " (last event id " +
                  std::to_string(checkpoint.cursor) + ") from " + path +
                  ": the state store already has its checkpoint at " + std::to_string((*existing)->cursor));
      report.backlogIds -= std::min(report.backlogIds, gapIds(checkpoint));
      report.skippedExisting.push_back(std::move(checkpoint));
    } else {
      report.imported.push_back(std::move(checkpoint));
    }
  }
  for (const auto& [collection, cursor] : importer.collectionCursors) {
    SGEVENTD_TRY(store.setMeta(legacyCollectionCursorKey(collection), std::to_string(cursor)));
  }
  if (!report.imported.empty()) {
    SGEVENTD_TRY(store.commit(report.imported));
  }
  for (const auto& warning : report.warnings) {
    log.warning("Importing " + path + ": " + warning);
  }

  report.outcome = ImportReport::Outcome::Imported;
  report.summary = "Imported the original daemon's state from " + path + ": " + pluginsSummary(report) +
                   ", " + plural(report.backlogIds, "backlog id");
  if (report.expiredBacklogIds > 0) {
    report.summary += "; " + plural(report.expiredBacklogIds, "expired backlog id") + " dropped";
  }
  if (!report.skippedExisting.empty()) {
    report.summary +=
        "; " + plural(report.skippedExisting.size(), "plugin") + " kept the checkpoint already stored";
  }
  if (!report.skippedWithoutCursor.empty()) {
    report.summary += "; " + plural(report.skippedWithoutCursor.size(), "plugin") +
                      " without a last event id will start at the head";
  }
  if (!importer.collectionCursors.empty()) {
    report.summary +=
        "; " + plural(importer.collectionCursors.size(), "collection") + " with one id for all its plugins";
  }
  SGEVENTD_TRY(store.setMeta(kLegacyImportKey, path + " imported at " + utcText(now) + ": " +
                                                   plural(report.imported.size(), "plugin")));
  log.info(report.summary);
  return report;
}

}  // namespace

std::string legacyCollectionCursorKey(const std::string& collection) {
  return std::string(kLegacyDefaultCursorKey) + ":" + collection;
}

Expected<ImportReport> importLegacyState(const std::string& eventIdFile, StateStore& store, core::Logger& log,
                                         const core::Clock& clock) {
  ImportReport report;
  report.path = eventIdFile;
  if (eventIdFile.empty()) {
    return report;
  }
  auto guard = store.meta(kLegacyImportKey);
  if (!guard) {
    return tl::unexpected(guard.error());
  }
  if (guard->has_value()) {
    report.outcome = ImportReport::Outcome::AlreadyImported;
    report.summary = **guard;
    log.debug("The original daemon's state was already imported (" + **guard + ")");
    return report;
  }

  std::string content;
  auto read = readFile(eventIdFile, content);
  if (!read) {
    return fail("cannot import the original daemon's eventIdFile: " + read.error().message);
  }
  if (*read == ReadStatus::Missing) {
    return report;
  }
  if (content.empty()) {
    return fail("cannot import the original daemon's eventIdFile " + eventIdFile +
                ": the file is empty (a write the original daemon did not finish)");
  }
  const auto now = clock.now();

  if (auto digits = singleIdLine(content)) {
    const auto id = parseId(*digits);
    if (!id) {
      return fail("cannot import the original daemon's eventIdFile " + eventIdFile + ": the id " +
                  std::string(*digits) + " is out of range");
    }
    SGEVENTD_TRY(store.setMeta(kLegacyDefaultCursorKey, std::to_string(*id)));
    report.outcome = ImportReport::Outcome::DefaultCursor;
    report.defaultCursor = *id;
    report.summary = "Imported the original daemon's state from " + eventIdFile + ": last event id " +
                     std::to_string(*id) + " (the old single-number format), where every plugin without a " +
                     "checkpoint starts";
    SGEVENTD_TRY(store.setMeta(kLegacyImportKey, eventIdFile + " imported at " + utcText(now) +
                                                     ": default cursor " + std::to_string(*id)));
    log.info(report.summary);
    return report;
  }

  auto imported = importPickle(eventIdFile, content, store, log, now, std::move(report));
  if (!imported) {
    return fail("cannot import the original daemon's eventIdFile " + eventIdFile + ": " +
                imported.error().message);
  }
  return imported;
}

Expected<std::optional<std::int64_t>> legacyDefaultCursor(StateStore& store, const std::string& collection) {
  std::optional<std::string> text;
  if (!collection.empty()) {
    auto perCollection = store.meta(legacyCollectionCursorKey(collection));
    if (!perCollection) {
      return tl::unexpected(perCollection.error());
    }
    text = *perCollection;
  }
  if (!text) {
    auto global = store.meta(kLegacyDefaultCursorKey);
    if (!global) {
      return tl::unexpected(global.error());
    }
    text = *global;
  }
  if (!text) {
    return std::optional<std::int64_t>{};
  }
  auto id = parseId(*text);
  if (!id) {
    return fail("the state store's legacy default cursor '" + *text + "' is not an event id");
  }
  return std::optional<std::int64_t>{*id};
}

}  // namespace sgeventd::legacy
