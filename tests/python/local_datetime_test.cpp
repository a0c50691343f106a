// LocalDateTimes (local_datetime.h) on its own; api_test.cpp compares what it makes with the bootstrap's.
#include "plugins/python/local_datetime.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "python_support.h"
#include "scoped_time_zone.h"

namespace sgeventd::plugins::python {
namespace {

using namespace testing;

// The C++ side makes every date-time a datetime takes, and leaves the rest to the bootstrap (which raises
// what Python raises): impossible dates and times, year 0, non-ASCII digits, a local year past 9999.
TEST(PythonApi, LocalDatetimesAreMadeInCxxOnlyForFieldsADatetimeTakes) {
  auto loader = makeLoader();  // starts the interpreter
  ScopedTimeZone zone("Asia/Kolkata");
  {
    py::gil_scoped_acquire gil;
    LocalDateTimes times;
    // Before 1854 the zone's offset is Madras's local mean time.
    const std::vector<std::pair<const char*, const char*>> made = {
        {"2024-03-01T12:30:05Z", "2024-03-01T18:00:05+05:30"},
        {"2000-02-29T23:59:59Z", "2000-03-01T05:29:59+05:30"},
        {"1969-12-31T23:59:59Z", "1970-01-01T05:29:59+05:30"},
        {"9999-12-31T18:29:59Z", "9999-12-31T23:59:59+05:30"},
        {"0001-01-01T00:00:00Z", "0001-01-01T05:53:28+05:53:28"}};
    for (const auto& [text, local] : made) {
      py::object value = times.make(text);
      ASSERT_TRUE(value) << text;
      EXPECT_EQ(py::str(value.attr("isoformat")()).cast<std::string>(), local) << text;
      EXPECT_EQ(py::str(value.attr("tzname")()).cast<std::string>(),
                std::string(text).starts_with("0001") ? "LMT" : "IST");
    }
    for (const char* left : {"2024-13-01T12:30:05Z", "2023-02-29T12:30:05Z", "2024-03-01T24:00:00Z",
                             "2024-03-01T12:60:00Z", "2024-03-01T12:30:60Z", "0000-01-01T00:00:00Z",
                             "9999-12-31T18:30:00Z", "2024-03-01 12:30:05Z", "2024-03-01T12:30:05",
                             "\xd9\xa2"
                             "024-03-01T12:30:05Z"}) {
      EXPECT_FALSE(times.make(left)) << left;
      EXPECT_FALSE(PyErr_Occurred()) << left;
    }
  }
}

}  // namespace
}  // namespace sgeventd::plugins::python
