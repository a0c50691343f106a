#include "logging/record_format.h"

#include <gtest/gtest.h>

#include "support.h"

namespace sgeventd::logging {
namespace {

using namespace testing;

TEST(RecordFormat, PythonAsctimeInLocalTime) {
  ScopedTimeZone utc("UTC");
  EXPECT_EQ(asctime(epoch(1795325385.483650)), "2026-11-22 05:29:45,483");
  EXPECT_EQ(asctime(epoch(1795325385.999999)), "2026-11-22 05:29:45,999");  // truncated, as Python
  EXPECT_EQ(asctime(epoch(1795325385)), "2026-11-22 05:29:45,000");
  ScopedTimeZone paris("CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_EQ(asctime(epoch(1795325385.483650)), "2026-11-22 06:29:45,483");
}

TEST(RecordFormat, FileAndStreamLayouts) {
  ScopedTimeZone utc("UTC");
  EXPECT_EQ(formatFileRecord(epoch(1795325385.4836), "plugin.rec", core::LogLevel::Warning, "two\nlines"),
            "2026-11-22 05:29:45,483 - plugin.rec - WARNING - two\nlines\n");
  EXPECT_EQ(formatStreamRecord("engine", core::LogLevel::Info, "Starting the event processing loop."),
            "INFO:engine:Starting the event processing loop.\n");
}

}  // namespace
}  // namespace sgeventd::logging
