#pragma once
// The api3 filter engine: the wire form {"logical_operator","conditions":[...]} compiled against the
// schema (unknown fields and relations a data type does not support are error 103), then evaluated per row.
#include <string>
#include <vector>

#include "sim/records.h"

namespace sgeventd::sim {

enum class Relation {
  Is,
  IsNot,
  LessThan,
  GreaterThan,
  Contains,
  NotContains,
  StartsWith,
  EndsWith,
  Between,
  NotBetween,
  InLast,
  InNext,
  In,
  NotIn,
  TypeIs,
  TypeIsNot,
  InCalendarDay,
  InCalendarWeek,
  InCalendarMonth,
  NameContains,
  NameNotContains,
  NameStartsWith,
  NameEndsWith,
  NameIs,
};

struct FilterNode {
  bool group = false;
  bool isAnd = true;
  std::vector<FilterNode> children;
  // a condition (group == false)
  std::string path;
  Relation relation = Relation::Is;
  Json values = Json::array();
  PathInfo info;
};

// `method` names the api3 call in error messages ("read", "summarize").
ApiResult<FilterNode> compileFilter(const Json& wire, const std::string& entityType,
                                    const RecordSource& source, const std::string& method);
bool matches(const FilterNode& node, const std::string& entityType, const Record& record,
             const RecordSource& source);

// Total order for sorting values of one data type: null first, links by name, text case-insensitively.
int compareValues(const Json& a, const Json& b);

}  // namespace sgeventd::sim
