#include "plugins/python/event_dict.h"

#include <cstdint>
#include <cstring>

#include <simdjson.h>

#include "plugins/python/datetime_count.h"

namespace sgeventd::plugins::python {
namespace {

namespace od = simdjson::ondemand;

// Walks the record once with simdjson On-Demand, making each Python object as its value is read: no
// DOM tape is written and read back. Every value is read (none skipped), so all of the text is checked.
struct Builder {
  const py::object& toLocal;
  const py::object& isDateTime;
  EventDictMemo& memo;

  // `text` is an api3 date-time by Python's check; made in C++ unless only Python can make it.
  py::object local(std::string_view text) {
    py::object made = memo.localTimes.make(text);
    return made ? made : toLocal(py::str(text.data(), text.size()));
  }

  // The record's own created_at: the one date-time that events in a row share.
  py::object createdAt(od::value& value) {
    od::json_type type;
    if (value.type().get(type)) {
      return {};
    }
    if (type != od::json_type::string) {
      return build(value, 1);
    }
    std::string_view text;
    if (value.get_string().get(text)) {
      return {};
    }
    if (api3DateTimeShape(text) != DateTimeShape::Yes) {
      return string(text);
    }
    if (!memo.createdAt || memo.createdAtText != text) {
      memo.createdAt = local(text);
      memo.createdAtText.assign(text);
    }
    return memo.createdAt;
  }

  py::object key(std::string_view text) {
    const EventDictMemo::Probe probe = EventDictMemo::probe(text);
    auto& recent = memo.recentKeys[probe.slot() & (EventDictMemo::kRecentKeys - 1)];
    if (recent.key && probe.same(recent.probe, recent.text, text.data())) {
      return py::reinterpret_borrow<py::object>(recent.key);
    }
    if (auto found = memo.keys.find(text); found != memo.keys.end()) {
      recent = {probe, found->first.data(), found->second.ptr()};
      return found->second;
    }
    py::str made(text.data(), text.size());
    if (memo.keys.size() < EventDictMemo::kMaxKeys) {
      auto [placed, _] = memo.keys.emplace(std::string(text), made);
      recent = {probe, placed->first.data(), placed->second.ptr()};
    }
    return made;
  }

  py::object string(std::string_view text) {
    switch (api3DateTimeShape(text)) {
      case DateTimeShape::Yes:
        return local(text);
      case DateTimeShape::Maybe: {
        py::str str(text.data(), text.size());
        return isDateTime(str).cast<bool>() ? local(text) : py::object(std::move(str));
      }
      case DateTimeShape::No:
        break;
    }
    return memo.value(text);
  }

  // An object's fields in the site's order. (A dict made with room for its keys, _PyDict_NewPresized,
  // has general keys, not str-only ones: measured 15 % slower through the lane, lookups included.)
  py::object object(od::object& fields, int depth) {
    py::dict out;
    for (auto field : fields) {
      if (field.error()) {
        return {};
      }
      std::string_view name;
      if (field.value_unsafe().unescaped_key().get(name)) {
        return {};
      }
      py::object k = key(name);  // before the value: reading it moves past the key's text
      od::value& value = field.value_unsafe().value();
      py::object item = depth == 0 && name == "created_at" ? createdAt(value) : build(value, depth + 1);
      if (!item) {
        return {};
      }
      // A repeated key keeps its first place and takes the last value, as in json.loads.
      if (PyDict_SetItem(out.ptr(), k.ptr(), item.ptr()) != 0) {
        PyErr_Clear();
        return {};
      }
    }
    return out;
  }

  // An empty object when the value cannot be given exactly as json.loads gives it.
  py::object build(od::value& value, int depth) {
    if (depth > kMaxEventDictDepth) {
      return {};
    }
    od::json_type type;
    if (value.type().get(type)) {
      return {};
    }
    switch (type) {
      case od::json_type::object: {
        od::object fields;
        if (value.get_object().get(fields)) {
          return {};
        }
        return object(fields, depth);
      }
      case od::json_type::array: {
        od::array items;
        if (value.get_array().get(items)) {
          return {};
        }
        py::list out;
        for (auto item : items) {
          od::value inner;
          if (item.get(inner)) {
            return {};
          }
          py::object built = build(inner, depth + 1);
          if (!built) {
            return {};
          }
          out.append(std::move(built));
        }
        return out;
      }
      case od::json_type::string: {
        std::string_view text;
        if (value.get_string().get(text)) {
          return {};
        }
        return string(text);
      }
      case od::json_type::number:
        return number(value);
      case od::json_type::boolean: {
        bool flag = false;
        if (value.get_bool().get(flag)) {
          return {};
        }
        return py::bool_(flag);
      }
      case od::json_type::null: {
        bool isNull = false;
        if (value.is_null().get(isNull) || !isNull) {
          return {};
        }
        return py::none();
      }
    }
    return {};
  }

  // Integers past 64 bits and numbers beyond a double's range are errors here (json.loads keeps the one
  // exact and refuses the other): such text goes the bootstrap's way.
  static py::object number(od::value& value) {
    od::number_type kind;
    if (value.get_number_type().get(kind)) {
      return {};
    }
    switch (kind) {
      case od::number_type::signed_integer: {
        std::int64_t integer = 0;
        return value.get_int64().get(integer) ? py::object() : py::int_(integer);
      }
      case od::number_type::unsigned_integer: {
        std::uint64_t integer = 0;
        return value.get_uint64().get(integer) ? py::object() : py::int_(integer);
      }
      case od::number_type::floating_point_number: {
        double real = 0;
        return value.get_double().get(real) ? py::object() : py::float_(real);
      }
    }
    return {};
  }
};

std::uint64_t load(const char* bytes, std::size_t size) {
  std::uint64_t word = 0;
  std::memcpy(&word, bytes, size);
  return word;
}

}  // namespace

EventDictMemo::Probe EventDictMemo::probe(std::string_view text) {
  Probe probe;
  probe.size = text.size();
  const char* bytes = text.data();
  if (probe.size >= 8) {
    probe.first = load(bytes, 8);
    probe.last = load(bytes + probe.size - 8, 8);
  } else if (probe.size >= 4) {
    probe.first = load(bytes, 4);
    probe.last = load(bytes + probe.size - 4, 4);
  } else if (probe.size > 0) {
    probe.first = load(bytes, probe.size);
  }
  return probe;
}

std::size_t EventDictMemo::Probe::slot() const {
  std::uint64_t h = (first ^ (size * 0x9e3779b97f4a7c15u)) * 0xff51afd7ed558ccdu;
  h ^= (last + (h >> 29)) * 0xc4ceb9fe1a85ec53u;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

py::object EventDictMemo::value(std::string_view text) {
  if (text.size() > kMaxRecentValueSize) {
    return py::str(text.data(), text.size());
  }
  const Probe probe = EventDictMemo::probe(text);
  RecentValue& recent = recentValues[probe.slot() & (kRecentValues - 1)];
  if (recent.value &&
      probe.same(recent.probe, static_cast<const char*>(PyUnicode_DATA(recent.value.ptr())), text.data())) {
    return recent.value;
  }
  py::str made(text.data(), text.size());
  // Only ASCII text has one byte per character, the bytes the probe and the compare read.
  if (PyUnicode_IS_COMPACT_ASCII(made.ptr())) {
    recent = {probe, made};
  }
  return made;
}

std::optional<py::object> buildEventDict(std::string_view json, const py::object& toLocal,
                                         const py::object& isDateTime, EventDictMemo& memo) {
  // On-Demand reads padded text: the record is copied behind a buffer of this thread's.
  thread_local std::string padded;
  padded.assign(json);
  padded.append(simdjson::SIMDJSON_PADDING, ' ');
  thread_local od::parser parser;
  od::document document;
  if (parser.iterate(padded.data(), json.size(), padded.size()).get(document)) {
    return std::nullopt;
  }
  od::object fields;
  if (document.get_object().get(fields)) {
    return std::nullopt;  // not an object: the bootstrap's way
  }
  py::object built;
  try {
    built = Builder{toLocal, isDateTime, memo}.object(fields, 0);
  } catch (const py::error_already_set&) {
    // A str Python refuses: a \u escape of a lone surrogate (json.loads keeps it, UTF-8 cannot hold it).
    return std::nullopt;
  }
  // Anything after the object makes the text invalid JSON; only at its end is there no location.
  if (!built || document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return std::nullopt;
  }
  return built;
}

}  // namespace sgeventd::plugins::python
