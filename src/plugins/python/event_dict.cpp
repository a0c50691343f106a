#include "plugins/python/event_dict.h"

#include <cstdint>
#include <cstring>

#include <simdjson.h>

#include "plugins/python/datetime_count.h"

namespace sgeventd::plugins::python {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

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
  py::object createdAt(element value) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS || api3DateTimeShape(text) != DateTimeShape::Yes) {
      return build(value, 1);
    }
    if (!memo.createdAt || memo.createdAtText != text) {
      memo.createdAt = local(text);
      memo.createdAtText.assign(text);
    }
    return memo.createdAt;
  }

  py::object key(std::string_view text) {
    auto& recent = memo.recentKeys[EventDictMemo::recentSlot(text)];
    if (recent.key && recent.text == text) {
      return py::reinterpret_borrow<py::object>(recent.key);
    }
    if (auto found = memo.keys.find(text); found != memo.keys.end()) {
      recent = {found->first, found->second.ptr()};
      return found->second;
    }
    py::str made(text.data(), text.size());
    if (memo.keys.size() < EventDictMemo::kMaxKeys) {
      auto [placed, _] = memo.keys.emplace(std::string(text), made);
      recent = {placed->first, placed->second.ptr()};
    }
    return made;
  }

  // An empty object when the element cannot be given exactly as json.loads gives it.
  py::object build(element value, int depth) {
    if (depth > kMaxEventDictDepth) {
      return {};
    }
    switch (value.type()) {
      case element_type::OBJECT: {
        simdjson::dom::object object;
        if (value.get_object().get(object) != simdjson::SUCCESS) {
          return {};
        }
        py::dict out;
        for (auto field : object) {
          py::object item = depth == 0 && field.key == "created_at" ? createdAt(field.value)
                                                                    : build(field.value, depth + 1);
          if (!item) {
            return {};
          }
          // A repeated key keeps its first place and takes the last value, as in json.loads.
          if (PyDict_SetItem(out.ptr(), key(field.key).ptr(), item.ptr()) != 0) {
            PyErr_Clear();
            return {};
          }
        }
        return out;
      }
      case element_type::ARRAY: {
        simdjson::dom::array array;
        if (value.get_array().get(array) != simdjson::SUCCESS) {
          return {};
        }
        py::list out;
        for (element item : array) {
          py::object built = build(item, depth + 1);
          if (!built) {
            return {};
          }
          out.append(std::move(built));
        }
        return out;
      }
      case element_type::STRING: {
        const std::string_view text = value.get_string().value_unsafe();
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
      case element_type::INT64:
        return py::int_(value.get_int64().value_unsafe());
      case element_type::UINT64:
        return py::int_(value.get_uint64().value_unsafe());
      case element_type::DOUBLE:
        return py::float_(value.get_double().value_unsafe());
      case element_type::BOOL:
        return py::bool_(value.get_bool().value_unsafe());
      case element_type::NULL_VALUE:
        return py::none();
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

std::size_t EventDictMemo::textHash(std::string_view text) {
  const std::size_t size = text.size();
  const char* bytes = text.data();
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (size >= 8) {
    first = load(bytes, 8);
    last = load(bytes + size - 8, 8);
  } else if (size >= 4) {
    first = load(bytes, 4);
    last = load(bytes + size - 4, 4);
  } else if (size > 0) {
    first = load(bytes, size);
  }
  std::uint64_t h = (first ^ (size * 0x9e3779b97f4a7c15u)) * 0xff51afd7ed558ccdu;
  h ^= (last + (h >> 29)) * 0xc4ceb9fe1a85ec53u;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

py::object EventDictMemo::value(std::string_view text) {
  if (text.size() > kMaxRecentValueSize) {
    return py::str(text.data(), text.size());
  }
  py::object& recent = recentValues[textHash(text) & (kRecentValues - 1)];
  if (recent) {
    PyObject* held = recent.ptr();
    if (static_cast<std::size_t>(PyUnicode_GET_LENGTH(held)) == text.size() &&
        std::memcmp(PyUnicode_DATA(held), text.data(), text.size()) == 0) {
      return recent;
    }
  }
  py::str made(text.data(), text.size());
  // Only ASCII text has one byte per character, the bytes the compare above reads.
  if (PyUnicode_IS_COMPACT_ASCII(made.ptr())) {
    recent = made;
  }
  return made;
}

std::optional<py::object> buildEventDict(std::string_view json, const py::object& toLocal,
                                         const py::object& isDateTime, EventDictMemo& memo) {
  // json.loads takes \u escapes (lone surrogates too) and NaN or Infinity, which simdjson reads otherwise
  // or refuses: such text goes the bootstrap's way. Integers past 64 bits, which json.loads keeps exact,
  // simdjson refuses too (a test holds it to that).
  if (json.find("\\u") != std::string_view::npos) {
    return std::nullopt;
  }
  thread_local simdjson::dom::parser parser;
  element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  py::object built = Builder{toLocal, isDateTime, memo}.build(root, 0);
  if (!built) {
    return std::nullopt;
  }
  return built;
}

}  // namespace sgeventd::plugins::python
