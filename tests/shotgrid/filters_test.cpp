#include "shotgrid/filters.h"

#include <gtest/gtest.h>

namespace sgeventd::shotgrid {
namespace {

Json cond(const std::string& path, const std::string& relation, Json values) {
  return Json{{"path", path}, {"relation", relation}, {"values", std::move(values)}};
}

Json translated(const Json& filters, std::string_view op = "all") {
  auto r = translateFilters(filters, op);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : Json();
}

TEST(Filters, SimpleConditionBecomesWireForm) {
  EXPECT_EQ(translated(Json::parse(R"([["id","greater_than",100]])")),
            (Json{{"logical_operator", "and"}, {"conditions", {cond("id", "greater_than", {100})}}}));
}

TEST(Filters, EmptyAndNullFilters) {
  const Json empty{{"logical_operator", "and"}, {"conditions", Json::array()}};
  EXPECT_EQ(translated(Json::array()), empty);
  EXPECT_EQ(translated(nullptr), empty);
}

TEST(Filters, InWithListOrSpreadValuesIsTheSame) {
  const Json expected = cond("id", "in", {1, 2, 3});
  EXPECT_EQ(translated(Json::parse(R"([["id","in",[1,2,3]]])"))["conditions"][0], expected);
  EXPECT_EQ(translated(Json::parse(R"([["id","in",1,2,3]])"))["conditions"][0], expected);
}

TEST(Filters, BetweenAndInLast) {
  EXPECT_EQ(translated(Json::parse(R"([["id","between",5,10]])"))["conditions"][0],
            cond("id", "between", {5, 10}));
  EXPECT_EQ(translated(Json::parse(R"([["created_at","in_last",[1,"DAY"]]])"))["conditions"][0],
            cond("created_at", "in_last", {1, "DAY"}));
}

TEST(Filters, NullValueIsAListWithNull) {
  EXPECT_EQ(translated(Json::parse(R"([["entity","is",null]])"))["conditions"][0],
            cond("entity", "is", Json::array({nullptr})));
}

TEST(Filters, RelationWithoutValues) {
  EXPECT_EQ(translated(Json::parse(R"([["sg_x","is"]])"))["conditions"][0],
            cond("sg_x", "is", Json::array()));
}

TEST(Filters, EntityDictsAreTrimmedForIsAndIn) {
  const Json filters = Json::parse(R"([
    ["project","is",{"type":"Project","id":1,"name":"P","sg_status":"Active","code":"p"}],
    ["entity","in",[{"type":"Shot","id":2,"extra":1},{"type":"Shot","id":3,"url":"u"}]],
    ["user","is_not",{"type":"HumanUser","id":4,"login":"x"}],
    ["assets","not_in",{"type":"Asset","id":5,"junk":true}]])");
  const Json c = translated(filters)["conditions"];
  EXPECT_EQ(c[0]["values"], Json::parse(R"([{"type":"Project","id":1,"name":"P"}])"));
  EXPECT_EQ(c[1]["values"], Json::parse(R"([{"type":"Shot","id":2},{"type":"Shot","id":3,"url":"u"}])"));
  EXPECT_EQ(c[2]["values"], Json::parse(R"([{"type":"HumanUser","id":4}])"));
  EXPECT_EQ(c[3]["values"], Json::parse(R"([{"type":"Asset","id":5}])"));
}

TEST(Filters, EntityDictsAreKeptForOtherRelationsAndIdPath) {
  const Json c = translated(Json::parse(R"([
    ["entity","type_is",{"type":"Shot","id":2,"extra":1}],
    ["id","is",{"type":"Shot","id":2,"extra":1}]])"))["conditions"];
  EXPECT_EQ(c[0]["values"][0]["extra"], 1);
  EXPECT_EQ(c[1]["values"][0]["extra"], 1);
}

TEST(Filters, NestedOperatorsMapToLogicalOperators) {
  const Json filters = Json::parse(R"([
    ["code","is","x"],
    {"filter_operator":"any","filters":[["id","is",1],
       {"filter_operator":"all","filters":[["id","is",2],["code","starts_with","a"]]}]},
    {"filter_operator":"or","filters":[]},
    {"filter_operator":"and","filters":[["id","is",3]]}])");
  const Json w = translated(filters);
  EXPECT_EQ(w["logical_operator"], "and");
  EXPECT_EQ(w["conditions"][0], cond("code", "is", {"x"}));
  EXPECT_EQ(w["conditions"][1]["logical_operator"], "or");
  EXPECT_EQ(w["conditions"][1]["conditions"][0], cond("id", "is", {1}));
  EXPECT_EQ(w["conditions"][1]["conditions"][1]["logical_operator"], "and");
  EXPECT_EQ(w["conditions"][1]["conditions"][1]["conditions"][1], cond("code", "starts_with", {"a"}));
  EXPECT_EQ(w["conditions"][2], (Json{{"logical_operator", "or"}, {"conditions", Json::array()}}));
  EXPECT_EQ(w["conditions"][3]["logical_operator"], "and");
}

TEST(Filters, TopLevelAnyOperator) {
  EXPECT_EQ(translated(Json::parse(R"([["id","is",1],["id","is",2]])"), "any")["logical_operator"], "or");
}

TEST(Filters, WireFormPassesThrough) {
  const Json wire =
      Json::parse(R"({"logical_operator":"or","conditions":[{"path":"id","relation":"is","values":[1]}]})");
  EXPECT_EQ(translated(wire), wire);
  const Json nested = Json::parse(R"([["id","is",1], {"logical_operator":"or","conditions":[]}])");
  EXPECT_EQ(translated(nested)["conditions"][1], nested[1]);
}

TEST(Filters, DeepPathsAreKeptAsIs) {
  EXPECT_EQ(translated(Json::parse(R"([["sg_task.Task.step.Step.id","is",7]])"))["conditions"][0]["path"],
            "sg_task.Task.step.Step.id");
}

TEST(Filters, BadShapesAreInvalidArguments) {
  for (const char* bad : {R"([["id"]])", R"([[1,"is",2]])", R"([["id",5,2]])", R"([42])", R"("id")",
                          R"([{"filter_operator":"xor","filters":[]}])", R"([{"filters":[]}])",
                          R"([{"filter_operator":"any"}])", R"([{"filter_operator":"any","filters":5}])"}) {
    auto r = translateFilters(Json::parse(bad));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgument) << bad;
  }
  EXPECT_FALSE(translateFilters(Json::array(), "sometimes").has_value());
}

TEST(Order, ColumnBecomesFieldNameAndDirectionDefaultsToAsc) {
  auto r = translateOrder(Json::parse(R"([{"column":"id"},{"field_name":"code","direction":"desc"}])"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(
      *r, Json::parse(R"([{"field_name":"id","direction":"asc"},{"field_name":"code","direction":"desc"}])"));
  EXPECT_EQ(*translateOrder(nullptr), Json::array());
}

TEST(Order, BadOrderIsRejected) {
  for (const char* bad : {R"({"column":"id"})", R"([{"direction":"asc"}])",
                          R"([{"column":"id","direction":"up"}])", R"(["id"])"}) {
    EXPECT_FALSE(translateOrder(Json::parse(bad)).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sgeventd::shotgrid
