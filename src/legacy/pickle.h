#pragma once
// A restricted unpickler for the original daemon's eventIdFile (original-daemon.md §4.6). It knows only
// the types that file holds (dict, str, int, None, bool, tuple, list, bytes, datetime.datetime) and the
// two globals needed to rebuild a datetime; anything else is an error naming what was refused. It builds
// values and never calls anything, so a hostile file can only be rejected, never executed.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/expected.h"

namespace sgeventd::legacy::pickle {

// A naive datetime.datetime, exactly as pickled (no time zone: the original writes local time).
struct DateTime {
  int year = 1;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int microsecond = 0;
  bool fold = false;  // PEP 495: the later of two ambiguous local times
  bool operator==(const DateTime&) const = default;
};

class Value;

struct Str {  // text as UTF-8 (py2 byte strings: kept when valid UTF-8, otherwise read as latin-1)
  std::string utf8;
  bool operator==(const Str&) const = default;
};
// An int outside 64 bits (Python's are unbounded): kept as its decimal text ("<an N-byte integer>" past
// 1000 bytes) so one such entry can be skipped with a warning that names it, instead of failing the file.
struct BigInt {
  std::string text;
  bool operator==(const BigInt&) const = default;
};
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};
struct Tuple {
  std::vector<Value> items;
  bool operator==(const Tuple&) const;
};
struct List {
  std::vector<Value> items;
  bool operator==(const List&) const;
};
struct Dict {  // insertion order; keys are unique
  std::vector<std::pair<Value, Value>> entries;
  bool operator==(const Dict&) const;
};

class Value {
 public:
  using Data =
      std::variant<std::monostate, bool, std::int64_t, BigInt, Str, Bytes, DateTime, Tuple, List, Dict>;

  Value() = default;
  Value(Data data) : data_(std::move(data)) {}  // NOLINT: implicit on purpose, values read like literals

  const Data& data() const { return data_; }
  bool isNone() const { return std::holds_alternative<std::monostate>(data_); }
  template <class T>
  bool is() const {
    return std::holds_alternative<T>(data_);
  }
  template <class T>
  const T& as() const {
    return std::get<T>(data_);
  }
  // Tuple or list items (the original writes tuples; hand-edited files sometimes hold lists).
  const std::vector<Value>* sequence() const;
  // The value under a str key of a dict, or nullptr.
  const Value* find(std::string_view key) const;
  // The Python type name, for error messages: "dict", "str", "NoneType", "datetime.datetime", ...
  std::string_view typeName() const;

  bool operator==(const Value&) const = default;

 private:
  Data data_;
};

struct Limits {
  std::size_t maxInputBytes = std::size_t{256} << 20;
  std::size_t maxElementBytes = std::size_t{16} << 20;  // one string or bytes object
  std::size_t maxDepth = 64;                            // nested containers (and open MARKs)
  std::size_t maxValues = 4'000'000;                    // values materialised, memo references included
};

// Unpickles protocols 0 to 5 restricted as described above. Errors name the offset and the opcode or
// global refused: "global os.system is not allowed", "truncated pickle: ...".
Expected<Value> load(std::string_view bytes, const Limits& limits = {});

// False when the first byte is no pickle opcode at all (a text or JSON file): then the file is not a
// pickle, which says more than the opcode its first byte happens to be.
bool startsWithAnOpcode(std::string_view bytes);

}  // namespace sgeventd::legacy::pickle
