#pragma once
// An api3 date-time text ("2024-03-01T12:30:05Z") as the tz-aware local datetime the bootstrap's
// `_local_from_api3` makes (`datetime(..., tzinfo=utc).astimezone()`), built through the datetime C API
// the way CPython's astimezone builds it: the host's offset and zone name for that instant from
// localtime_r, a `datetime.timezone(timedelta(seconds=offset), name)`, and the wall time at that offset.
// About a tenth of the Python function's cost; the timezone objects are made once per offset and name.
#include <string>
#include <string_view>
#include <vector>

#include "plugins/python/interpreter.h"

namespace sgeventd::plugins::python {

class LocalDateTimes {
 public:
  // Needs the GIL. Empty when the text is not an ASCII api3 date-time with fields a datetime takes, or
  // the local time falls outside years 1 to 9999: the caller then asks the bootstrap, which raises what
  // Python raises.
  py::object make(std::string_view text);

  void clear() { zones_.clear(); }
  void release();  // after the interpreter is gone: forget the handles without touching the objects

 private:
  struct Zone {
    long offsetSeconds = 0;
    std::string name;
    py::object tzinfo;
  };
  const py::object* zone(long offsetSeconds, const char* name);

  static constexpr std::size_t kMaxZones = 16;  // a host's zone has two or three offsets a century
  std::vector<Zone> zones_;
};

}  // namespace sgeventd::plugins::python
