#include "plugins/python/event_dict.h"

#include <simdjson.h>

#include "plugins/python/datetime_count.h"

namespace sgeventd::plugins::python {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// 19 digits in a row may be an integer past int64, which json.loads keeps exact and simdjson may not: such
// text (a long number in a string too, which costs only the shortcut) goes the bootstrap's way.
bool hasLongDigitRun(std::string_view json) {
  int run = 0;
  for (const char c : json) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    if (run >= 19) {
      return true;
    }
  }
  return false;
}

struct Builder {
  const py::object& toLocal;
  const py::object& isDateTime;

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
          py::object item = build(field.value, depth + 1);
          if (!item) {
            return {};
          }
          // A repeated key keeps its first place and takes the last value, as in json.loads.
          out[py::str(field.key.data(), field.key.size())] = std::move(item);
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
        py::str str(text.data(), text.size());
        switch (api3DateTimeShape(text)) {
          case DateTimeShape::Yes:
            return toLocal(str);
          case DateTimeShape::Maybe:
            return isDateTime(str).cast<bool>() ? toLocal(str) : py::object(std::move(str));
          case DateTimeShape::No:
            break;
        }
        return str;
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

}  // namespace

std::optional<py::object> buildEventDict(std::string_view json, const py::object& toLocal,
                                         const py::object& isDateTime) {
  // json.loads takes \u escapes (lone surrogates too) and NaN or Infinity, which simdjson reads otherwise
  // or refuses: such text goes the bootstrap's way.
  if (json.find("\\u") != std::string_view::npos || hasLongDigitRun(json)) {
    return std::nullopt;
  }
  thread_local simdjson::dom::parser parser;
  element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  py::object built = Builder{toLocal, isDateTime}.build(root, 0);
  if (!built) {
    return std::nullopt;
  }
  return built;
}

}  // namespace sgeventd::plugins::python
