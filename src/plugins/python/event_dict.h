#pragma once
// The event dict a Python callback gets, built in C++ from the site's JSON text in one simdjson On-Demand
// pass: what `json.loads(text, object_hook=...)` in the bootstrap builds (the same keys in the same order,
// the same types and values, every api3 date-time string a tz-aware local datetime), at a fraction of its
// cost. Only text it can decode exactly that way is taken: it returns nothing for text with a \u escape
// of a lone surrogate (json.loads keeps it in the str, which UTF-8 cannot hold), NaN or Infinity, numbers
// beyond 64 bits or out of float range, invalid UTF-8, nesting past kMaxDepth, or anything simdjson
// refuses, and the caller then asks the bootstrap.
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "plugins/python/interpreter.h"
#include "plugins/python/local_datetime.h"

namespace sgeventd::plugins::python {

inline constexpr int kMaxEventDictDepth = 32;

// What consecutive event dicts share, kept between them: Python objects are immutable, so one object can
// serve every dict that holds an equal value, and plugins cannot tell.
// - the datetime of the last created_at: events read in a row mostly share their created_at second (a
//   script's burst, a backlog), and making it, even in C++ (local_datetime.h), costs more than a compare;
// - the str objects of keys (with their hashes computed once): an EventLogEntry has twenty-odd keys, from a
//   small set. At most kMaxKeys are kept, so odd records cannot grow it without bound.
//   In front of that map, a small table indexed by a cheap hash of the text holds the keys seen last: a
//   compare finds a key there, where the map's lookup cost a tenth of a Python lane's time.
// - the str objects of short ASCII values seen last (entity types, status codes, user and project names,
//   a session's uuid), in a table of the same kind that holds kRecentValues at most: a compare costs less
//   than making the str and freeing it with the dict.
struct EventDictMemo {
  static constexpr std::size_t kMaxKeys = 512;
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  // A text's length with its first and last eight bytes (overlapping when shorter): for text of up to
  // 16 bytes, all of it, so two probes alike mean two texts alike with no memcmp; longer text compares
  // only the bytes between. Its hash is a slot index, not a hash for a map (no loop over the text, which
  // is what made FNV-1a cost more than the compare it saved); a collision costs a miss.
  struct Probe {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::size_t size = 0;
    bool operator==(const Probe&) const = default;
    std::size_t slot() const;
    // `kept` and `text` are the bytes these probes were made of.
    bool same(const Probe& other, const char* kept, const char* text) const {
      return *this == other && (size <= 16 || std::memcmp(kept + 8, text + 8, size - 16) == 0);
    }
  };
  static Probe probe(std::string_view text);

  LocalDateTimes localTimes;
  std::string createdAtText;
  py::object createdAt;
  std::unordered_map<std::string, py::object, TextHash, std::equal_to<>> keys;
  struct RecentKey {
    Probe probe;
    const char* text = nullptr;  // the map's own copy of the key
    PyObject* key = nullptr;     // held by the map
  };
  static constexpr std::size_t kRecentKeys = 128;  // a power of two
  std::array<RecentKey, kRecentKeys> recentKeys{};

  static constexpr std::size_t kRecentValues = 256;       // a power of two
  static constexpr std::size_t kMaxRecentValueSize = 64;  // bytes; longer text is rarely repeated
  struct RecentValue {
    Probe probe;
    py::object value;  // a compact ASCII str (one byte per character), or empty
  };
  std::array<RecentValue, kRecentValues> recentValues{};
  // The shared str equal to `text`, made (and kept, when short and ASCII) if not there.
  py::object value(std::string_view text);

  void clear() {
    localTimes.clear();
    createdAt = py::object();
    recentKeys.fill({});
    recentValues.fill({});
    keys.clear();
  }
  void release() {  // after the interpreter is gone: forget the handles without touching the objects
    localTimes.release();
    createdAt.release();
    for (auto& [_, key] : keys) {
      key.release();
    }
    for (auto& recent : recentValues) {
      recent.value.release();
    }
    recentKeys.fill({});
    keys.clear();
  }
};

// `toLocal(text)` makes a datetime of an api3 date-time string; `isDateTime(text)` is Python's own check,
// asked only for strings this side cannot judge by their bytes. Needs the GIL.
std::optional<py::object> buildEventDict(std::string_view json, const py::object& toLocal,
                                         const py::object& isDateTime, EventDictMemo& memo);

}  // namespace sgeventd::plugins::python
