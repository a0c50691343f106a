#include "plugins/python/local_datetime.h"

#include <datetime.h>

#include <chrono>
#include <ctime>
#include <optional>

#include "shotgrid/datetime.h"

namespace sgeventd::plugins::python {
namespace {

// Seconds since the epoch of an api3 date-time whose fields a datetime takes: the wire parser's, less the
// year 0 and the leap second it allows and Python refuses.
std::optional<std::int64_t> utcSeconds(std::string_view text) {
  if (!shotgrid::isApi3DateTime(text) || text.starts_with("0000") || text.substr(17, 2) == "60") {
    return std::nullopt;
  }
  const auto wire = shotgrid::parseWireDateTime(text);
  if (!wire) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(wire->time_since_epoch()).count();
}

}  // namespace

const py::object* LocalDateTimes::zone(long offsetSeconds, const char* name) {
  for (const Zone& known : zones_) {
    if (known.offsetSeconds == offsetSeconds && known.name == name) {
      return &known.tzinfo;
    }
  }
  // As CPython's local_timezone_from_timestamp: the name decoded from the locale, surrogates escaped.
  py::object offset =
      py::reinterpret_steal<py::object>(PyDelta_FromDSU(0, static_cast<int>(offsetSeconds), 0));
  py::object nameObject = py::reinterpret_steal<py::object>(PyUnicode_DecodeLocale(name, "surrogateescape"));
  if (!offset || !nameObject) {
    PyErr_Clear();
    return nullptr;
  }
  py::object tzinfo =
      py::reinterpret_steal<py::object>(PyTimeZone_FromOffsetAndName(offset.ptr(), nameObject.ptr()));
  if (!tzinfo) {
    PyErr_Clear();
    return nullptr;
  }
  if (zones_.size() >= kMaxZones) {
    zones_.erase(zones_.begin());
  }
  zones_.push_back(Zone{offsetSeconds, name, std::move(tzinfo)});
  return &zones_.back().tzinfo;
}

py::object LocalDateTimes::make(std::string_view text) {
  const auto seconds = utcSeconds(text);
  if (!seconds) {
    return {};
  }
  if (PyDateTimeAPI == nullptr) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == nullptr) {
      PyErr_Clear();
      return {};
    }
  }
  const auto instant = static_cast<std::time_t>(*seconds);
  std::tm local{};
  if (localtime_r(&instant, &local) == nullptr) {
    return {};
  }
  const py::object* tzinfo = zone(local.tm_gmtoff, local.tm_zone != nullptr ? local.tm_zone : "");
  if (tzinfo == nullptr) {
    return {};
  }
  // The wall time at that offset, from the UTC fields (as fromutc adds the offset to the UTC time).
  const std::int64_t wall = *seconds + local.tm_gmtoff;
  const auto days =
      std::chrono::sys_days{std::chrono::days{wall >= 0 ? wall / 86400 : (wall - 86399) / 86400}};
  const std::int64_t ofDay = wall - days.time_since_epoch().count() * std::int64_t{86400};
  const std::chrono::year_month_day date{days};
  const int year = static_cast<int>(date.year());
  if (year < 1 || year > 9999) {
    return {};
  }
  PyObject* made = PyDateTimeAPI->DateTime_FromDateAndTime(
      year, static_cast<int>(static_cast<unsigned>(date.month())),
      static_cast<int>(static_cast<unsigned>(date.day())), static_cast<int>(ofDay / 3600),
      static_cast<int>(ofDay / 60 % 60), static_cast<int>(ofDay % 60), 0, tzinfo->ptr(),
      PyDateTimeAPI->DateTimeType);
  if (made == nullptr) {
    PyErr_Clear();
    return {};
  }
  return py::reinterpret_steal<py::object>(made);
}

void LocalDateTimes::release() {
  for (Zone& known : zones_) {
    known.tzinfo.release();
  }
  zones_.clear();
}

}  // namespace sgeventd::plugins::python
