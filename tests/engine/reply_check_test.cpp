#include "engine/reply_check.h"

#include <gtest/gtest.h>

#include <limits>

using namespace sgeventd;
using namespace sgeventd::engine;

namespace {

std::vector<core::Event> rows(std::vector<std::int64_t> ids) {
  std::vector<core::Event> out;
  for (auto id : ids) {
    core::Event e;
    e.id = id;
    out.push_back(e);
  }
  return out;
}

shotgrid::EventQuery after(std::int64_t id) {
  shotgrid::EventQuery q;
  q.after = id;
  q.limit = 5;
  return q;
}

std::string error(const shotgrid::EventQuery& q, std::vector<std::int64_t> ids) {
  auto checked = checkReply(q, rows(std::move(ids)));
  return checked ? "" : checked.error().message;
}

}  // namespace

TEST(ReplyCheck, AReplyThatAnswersItsQueryPasses) {
  EXPECT_EQ(error(after(10), {11, 12, 15}), "");
  EXPECT_EQ(error(after(10), {}), "");
  auto gaps = after(10);
  gaps.only = {{12, 12}, {20, 25}};
  EXPECT_EQ(error(gaps, {12, 21, 25}), "");
}

TEST(ReplyCheck, EveryWayAReplyCanBreakItsQueryIsNamed) {
  EXPECT_EQ(error(after(10), {9, 11}), "event id 9 is not above 10, as asked");
  EXPECT_EQ(error(after(10), {12, 11}), "event id 11 follows 12: not ascending, or repeated");
  EXPECT_EQ(error(after(10), {12, 12}), "event id 12 follows 12: not ascending, or repeated");
  EXPECT_EQ(error(after(10), {11, 12, 13, 14, 15, 16}), "6 rows for a page of at most 5");
  auto below = after(10);
  below.before = 20;
  EXPECT_EQ(error(below, {11, 20}), "event id 20 is not below 20, as asked");
  auto gaps = after(10);
  gaps.only = {{12, 12}};
  EXPECT_EQ(error(gaps, {13}), "event id 13 is none of the ids asked for");
  const auto poison = std::numeric_limits<std::int64_t>::max();
  EXPECT_NE(error(after(10), {11, poison}).find("more than any event log grows"), std::string::npos);
  EXPECT_NE(error(after(10), {poison}).find("more than any event log grows"), std::string::npos);
}
