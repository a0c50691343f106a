// The filter engine per data type and relation, as a table of cases over a small project.
#include <algorithm>

#include "sim_test_util.h"

namespace sgeventd::sim {
namespace {

using namespace testing;

class FilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<ManualClock>(fixedNow());
    SiteOptions options;
    options.clock = clock_;
    site_ = openSite(options);
    project_ = idOf(site_->create("Project", {{"name", "Bunny"}}));
    const Json proj = link("Project", project_);
    sq010_ = idOf(site_->create("Sequence", {{"code", "sq010"}, {"project", proj}}));
    sq020_ = idOf(site_->create("Sequence", {{"code", "sq020"}, {"project", proj}}));
    alice_ = idOf(site_->create("HumanUser", {{"name", "Alice"}, {"login", "alice"}}));
    bob_ = idOf(site_->create("HumanUser", {{"name", "Bob"}, {"login", "bob"}}));
    sh010_ = idOf(site_->create("Shot", {{"code", "sh010"},
                                         {"project", proj},
                                         {"sg_sequence", link("Sequence", sq010_)},
                                         {"sg_cut_in", 1001},
                                         {"sg_frame_rate", 24.0},
                                         {"sg_status_list", "ip"},
                                         {"sg_final", true},
                                         {"sg_due_date", "2024-01-10"},
                                         {"description", "Hero Shot"},
                                         {"sg_metadata", {{"a", 1}}}}));
    sh020_ = idOf(site_->create("Shot", {{"code", "sh020"},
                                         {"project", proj},
                                         {"sg_sequence", link("Sequence", sq010_)},
                                         {"sg_cut_in", 1050},
                                         {"sg_frame_rate", 23.976},
                                         {"sg_status_list", "wtg"},
                                         {"sg_final", false},
                                         {"sg_due_date", "2024-02-01"},
                                         {"description", "crowd shot"}}));
    sh030_ = idOf(site_->create("Shot", {{"code", "SH030"},
                                         {"project", proj},
                                         {"sg_sequence", link("Sequence", sq020_)},
                                         {"sg_cut_in", 1100},
                                         {"sg_status_list", "fin"}}));
    const auto hero = idOf(site_->create("Asset", {{"code", "hero"}, {"project", proj}}));
    idOf(site_->create("Task", {{"content", "Anim"},
                                {"project", proj},
                                {"entity", link("Shot", sh010_)},
                                {"task_assignees", {link("HumanUser", alice_), link("HumanUser", bob_)}}}));
    idOf(site_->create("Task", {{"content", "Comp"},
                                {"project", proj},
                                {"entity", link("Shot", sh020_)},
                                {"task_assignees", {link("HumanUser", bob_)}}}));
    idOf(site_->create("Task", {{"content", "Model"}, {"project", proj}, {"entity", link("Asset", hero)}}));
  }

  // Display names of what a filter matches, sorted.
  std::vector<std::string> names(const std::string& type, const Json& filter) {
    const std::string field = type == "Task" ? "content" : "code";
    auto r = site_->read(readParams(type, filter, Json::array({field})));
    EXPECT_TRUE(r) << (r ? "" : r.error().message) << " for " << filter.dump();
    std::vector<std::string> out;
    if (r) {
      for (const auto& e : (*r)["entities"]) {
        out.push_back(e[field].get<std::string>());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::shared_ptr<ManualClock> clock_;
  std::unique_ptr<Site> site_;
  std::int64_t project_ = 0, sq010_ = 0, sq020_ = 0, alice_ = 0, bob_ = 0, sh010_ = 0, sh020_ = 0, sh030_ = 0;
};

struct Case {
  const char* type;
  Json condition;
  std::vector<std::string> expected;
};

TEST_F(FilterTest, RelationsPerDataType) {
  const std::vector<std::string> allShots{"SH030", "sh010", "sh020"};
  const std::vector<Case> cases{
      // text (case-insensitive)
      {"Shot", cond("code", "is", "SH010"), {"sh010"}},
      {"Shot", cond("code", "is_not", "sh010"), {"SH030", "sh020"}},
      {"Shot", cond("code", "contains", "H0"), allShots},
      {"Shot", cond("code", "not_contains", "010"), {"SH030", "sh020"}},
      {"Shot", cond("code", "starts_with", "sh0"), allShots},
      {"Shot", cond("code", "ends_with", "30"), {"SH030"}},
      {"Shot", cond("code", "in", Json::array({"sh010", "sh030"})), {"SH030", "sh010"}},
      {"Shot", cond("code", "not_in", Json::array({"sh010"})), {"SH030", "sh020"}},
      {"Shot", cond("description", "contains", "shot"), {"sh010", "sh020"}},
      {"Shot", cond("description", "is", Json::array({nullptr})), {"SH030"}},
      // number
      {"Shot", cond("sg_cut_in", "is", 1050), {"sh020"}},
      {"Shot", cond("sg_cut_in", "is_not", 1050), {"SH030", "sh010"}},
      {"Shot", cond("sg_cut_in", "less_than", 1050), {"sh010"}},
      {"Shot", cond("sg_cut_in", "greater_than", 1050), {"SH030"}},
      {"Shot", cond("sg_cut_in", "between", Json::array({1001, 1050})), {"sh010", "sh020"}},
      {"Shot", cond("sg_cut_in", "not_between", Json::array({1001, 1050})), {"SH030"}},
      {"Shot", cond("sg_cut_in", "in", Json::array({1001, 1100})), {"SH030", "sh010"}},
      {"Shot", cond("sg_cut_in", "not_in", Json::array({1001})), {"SH030", "sh020"}},
      {"Shot", cond("id", "is", 1), {"sh010"}},
      // float
      {"Shot", cond("sg_frame_rate", "greater_than", 23.99), {"sh010"}},
      {"Shot", cond("sg_frame_rate", "less_than", 24), {"sh020"}},
      {"Shot", cond("sg_frame_rate", "is", Json::array({nullptr})), {"SH030"}},
      // checkbox (unset counts as false)
      {"Shot", cond("sg_final", "is", true), {"sh010"}},
      {"Shot", cond("sg_final", "is", false), {"SH030", "sh020"}},
      {"Shot", cond("sg_final", "is_not", true), {"SH030", "sh020"}},
      // date (today is 2024-01-12, a Friday)
      {"Shot", cond("sg_due_date", "less_than", "2024-01-15"), {"sh010"}},
      {"Shot", cond("sg_due_date", "greater_than", "2024-01-10"), {"sh020"}},
      {"Shot", cond("sg_due_date", "is", "2024-02-01"), {"sh020"}},
      {"Shot", cond("sg_due_date", "between", Json::array({"2024-01-01", "2024-01-31"})), {"sh010"}},
      {"Shot", cond("sg_due_date", "in_last", Json::array({3, "DAY"})), {"sh010"}},
      {"Shot", cond("sg_due_date", "in_next", Json::array({30, "DAY"})), {"sh020"}},
      {"Shot", cond("sg_due_date", "in_next", Json::array({1, "WEEK"})), {}},
      {"Shot", cond("sg_due_date", "in_calendar_day", -2), {"sh010"}},
      {"Shot", cond("sg_due_date", "in_calendar_week", 0), {"sh010"}},
      {"Shot", cond("sg_due_date", "in_calendar_month", 0), {"sh010"}},
      {"Shot", cond("sg_due_date", "in_calendar_month", 1), {"sh020"}},
      // date_time
      {"Shot", cond("created_at", "in_last", Json::array({1, "HOUR"})), allShots},
      {"Shot", cond("created_at", "greater_than", "2024-01-12T13:00:00Z"), {}},
      {"Shot", cond("created_at", "is", "2024-01-12T12:00:00Z"), allShots},
      {"Shot", cond("created_at", "in_calendar_day", 0), allShots},
      // status_list
      {"Shot", cond("sg_status_list", "is", "ip"), {"sh010"}},
      {"Shot", cond("sg_status_list", "is_not", "fin"), {"sh010", "sh020"}},
      {"Shot", cond("sg_status_list", "in", Json::array({"ip", "fin"})), {"SH030", "sh010"}},
      {"Shot", cond("sg_status_list", "not_in", Json::array({"ip"})), {"SH030", "sh020"}},
      // entity
      {"Shot", cond("sg_sequence", "is", link("Sequence", 1)), {"sh010", "sh020"}},
      {"Shot", cond("sg_sequence", "is_not", link("Sequence", 1)), {"SH030"}},
      {"Shot", cond("sg_sequence", "in", Json::array({link("Sequence", 2)})), {"SH030"}},
      {"Shot", cond("sg_sequence", "type_is", "Sequence"), allShots},
      {"Shot", cond("sg_sequence", "type_is_not", "Sequence"), {}},
      {"Shot", cond("sg_sequence", "name_contains", "020"), {"SH030"}},
      {"Shot", cond("sg_sequence", "name_not_contains", "sq"), {}},
      {"Shot", cond("sg_sequence", "name_starts_with", "SQ01"), {"sh010", "sh020"}},
      {"Shot", cond("sg_sequence", "name_ends_with", "20"), {"SH030"}},
      {"Shot", cond("sg_sequence", "is", Json::array({nullptr})), {}},
      // deep paths
      {"Shot", cond("sg_sequence.Sequence.code", "is", "sq020"), {"SH030"}},
      {"Shot", cond("sg_sequence.Sequence.code", "starts_with", "sq0"), allShots},
      {"Task", cond("entity.Shot.code", "is", "sh010"), {"Anim"}},
      {"Task", cond("entity.Shot.sg_sequence.Sequence.code", "is", "sq010"), {"Anim", "Comp"}},
      {"Task", cond("entity", "type_is", "Asset"), {"Model"}},
      // multi_entity
      {"Task", cond("task_assignees", "is", link("HumanUser", 1)), {"Anim"}},
      {"Task", cond("task_assignees", "is", link("HumanUser", 2)), {"Anim", "Comp"}},
      {"Task", cond("task_assignees", "is_not", link("HumanUser", 2)), {"Model"}},
      {"Task", cond("task_assignees", "in", Json::array({link("HumanUser", 1)})), {"Anim"}},
      {"Task", cond("task_assignees", "not_in", Json::array({link("HumanUser", 1)})), {"Comp", "Model"}},
      {"Task", cond("task_assignees", "type_is", "HumanUser"), {"Anim", "Comp"}},
      {"Task", cond("task_assignees", "name_contains", "ali"), {"Anim"}},
      {"Task", cond("task_assignees", "is", Json::array({nullptr})), {"Model"}},
      {"Task", cond("task_assignees.HumanUser.login", "is", "bob"), {"Anim", "Comp"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(names(c.type, all(Json::array({c.condition}))), c.expected)
        << c.type << " " << c.condition.dump();
  }
}

TEST_F(FilterTest, NestedAndOr) {
  const Json filter = any(Json::array(
      {cond("code", "is", "sh010"),
       all(Json::array({cond("sg_cut_in", "greater_than", 1000), cond("sg_status_list", "is", "fin")}))}));
  EXPECT_EQ(names("Shot", filter), (std::vector<std::string>{"SH030", "sh010"}));
  EXPECT_EQ(names("Shot", any(Json::array())), (std::vector<std::string>{}));
  EXPECT_EQ(names("Shot", all(Json::array())).size(), 3u);
}

TEST_F(FilterTest, UnsupportedCombinationsAreError103) {
  const std::vector<Json> bad{
      cond("code", "less_than", "x"),                  // text has no ordering relations
      cond("sg_metadata", "is", Json::object()),       // serializable cannot be filtered
      cond("no_such_field", "is", 1),                  // unknown field
      cond("sg_final", "contains", "x"),               // checkbox
      cond("sg_cut_in", "between", Json::array({1})),  // between needs two values
      cond("code", "likes", "x"),                      // unknown relation
      cond("sg_status_list", "greater_than", "a"),     // status_list
      cond("task_assignees", "less_than", 1),          // entity-ish on a shot field that does not exist
      cond("sg_sequence.Sequence.nope", "is", 1),      // deep path to an unknown field
  };
  for (const auto& c : bad) {
    auto r = site_->read(readParams("Shot", all(Json::array({c}))));
    ASSERT_FALSE(r) << c.dump();
    EXPECT_EQ(r.error().code, 103) << c.dump();
  }
}

}  // namespace
}  // namespace sgeventd::sim
