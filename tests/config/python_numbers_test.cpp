#include "config/python_numbers.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sgeventd::config {
namespace {

TEST(PythonInt, AcceptsWhatIntAccepts) {
  EXPECT_EQ(parsePythonInt("42"), 42);
  EXPECT_EQ(parsePythonInt("  -7 \t"), -7);
  EXPECT_EQ(parsePythonInt("+5"), 5);
  EXPECT_EQ(parsePythonInt("1_000_000"), 1000000);
  EXPECT_EQ(parsePythonInt("010"), 10);
}

TEST(PythonInt, RejectsWhatIntRejects) {
  for (const char* bad : {"", " ", "0.5", "1e3", "_1", "1_", "1__0", "0x10", "abc", "1 2", "- 1", "++1"}) {
    EXPECT_FALSE(parsePythonInt(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parsePythonInt("99999999999999999999999").has_value()) << "beyond 64 bits";
}

TEST(PythonFloat, AcceptsWhatFloatAccepts) {
  EXPECT_DOUBLE_EQ(*parsePythonFloat("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(*parsePythonFloat(" 5 "), 5.0);
  EXPECT_DOUBLE_EQ(*parsePythonFloat(".25"), 0.25);
  EXPECT_DOUBLE_EQ(*parsePythonFloat("2."), 2.0);
  EXPECT_DOUBLE_EQ(*parsePythonFloat("-1_0.5e1"), -105.0);
  EXPECT_DOUBLE_EQ(*parsePythonFloat("1E-2"), 0.01);
  EXPECT_TRUE(std::isinf(*parsePythonFloat("Infinity")));
  EXPECT_TRUE(std::isnan(*parsePythonFloat("nan")));
}

TEST(PythonFloat, RejectsWhatFloatRejects) {
  for (const char* bad : {"", ".", "e3", "1e", "1_.5", "1._5", "abc", "1.2.3", "0x1p3", "5s"}) {
    EXPECT_FALSE(parsePythonFloat(bad).has_value()) << bad;
  }
}

TEST(PythonBool, GetbooleanWords) {
  for (const char* yes : {"1", "yes", "TRUE", "On"}) {
    EXPECT_EQ(parsePythonBool(yes), true) << yes;
  }
  for (const char* no : {"0", "No", "false", "OFF"}) {
    EXPECT_EQ(parsePythonBool(no), false) << no;
  }
  for (const char* bad : {"", "y", "2", " yes", "enabled"}) {
    EXPECT_FALSE(parsePythonBool(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sgeventd::config
