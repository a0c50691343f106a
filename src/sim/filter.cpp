#include "sim/filter.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <set>

#include "shotgrid/datetime.h"

namespace sgeventd::sim {
namespace {

using namespace std::chrono;

struct RelationName {
  Relation relation;
  const char* name;
};
constexpr RelationName kRelations[] = {
    {Relation::Is, "is"},
    {Relation::IsNot, "is_not"},
    {Relation::LessThan, "less_than"},
    {Relation::GreaterThan, "greater_than"},
    {Relation::Contains, "contains"},
    {Relation::NotContains, "not_contains"},
    {Relation::StartsWith, "starts_with"},
    {Relation::EndsWith, "ends_with"},
    {Relation::Between, "between"},
    {Relation::NotBetween, "not_between"},
    {Relation::InLast, "in_last"},
    {Relation::InNext, "in_next"},
    {Relation::In, "in"},
    {Relation::NotIn, "not_in"},
    {Relation::TypeIs, "type_is"},
    {Relation::TypeIsNot, "type_is_not"},
    {Relation::InCalendarDay, "in_calendar_day"},
    {Relation::InCalendarWeek, "in_calendar_week"},
    {Relation::InCalendarMonth, "in_calendar_month"},
    {Relation::NameContains, "name_contains"},
    {Relation::NameNotContains, "name_not_contains"},
    {Relation::NameStartsWith, "name_starts_with"},
    {Relation::NameEndsWith, "name_ends_with"},
    {Relation::NameIs, "name_is"},
};

using R = Relation;

bool supported(DataType type, Relation r) {
  switch (type) {
    case DataType::Number:
    case DataType::Float:
    case DataType::Duration:
    case DataType::Timecode:
    case DataType::Currency:
    case DataType::Percent:
      return r == R::Is || r == R::IsNot || r == R::LessThan || r == R::GreaterThan || r == R::Between ||
             r == R::NotBetween || r == R::In || r == R::NotIn;
    case DataType::Date:
    case DataType::DateTime:
      return r == R::Is || r == R::IsNot || r == R::LessThan || r == R::GreaterThan || r == R::Between ||
             r == R::NotBetween || r == R::In || r == R::NotIn || r == R::InLast || r == R::InNext ||
             r == R::InCalendarDay || r == R::InCalendarWeek || r == R::InCalendarMonth;
    case DataType::Text:
    case DataType::Uuid:
    case DataType::Url:
      return r == R::Is || r == R::IsNot || r == R::In || r == R::NotIn || r == R::Contains ||
             r == R::NotContains || r == R::StartsWith || r == R::EndsWith;
    case DataType::List:
    case DataType::StatusList:
      return r == R::Is || r == R::IsNot || r == R::In || r == R::NotIn;
    case DataType::Checkbox:
    case DataType::Image:
      return r == R::Is || r == R::IsNot;
    case DataType::Entity:
    case DataType::MultiEntity:
      return r == R::Is || r == R::IsNot || r == R::In || r == R::NotIn || r == R::TypeIs ||
             r == R::TypeIsNot || r == R::NameContains || r == R::NameNotContains || r == R::NameStartsWith ||
             r == R::NameEndsWith || r == R::NameIs;
    case DataType::Serializable:
      return false;
  }
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string textOf(const Json& v) {
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_object()) {  // url fields: match on the name or url
    if (v.contains("name") && v["name"].is_string()) {
      return v["name"].get<std::string>();
    }
    if (v.contains("url") && v["url"].is_string()) {
      return v["url"].get<std::string>();
    }
  }
  return v.is_null() ? std::string() : v.dump();
}

// Dates and date-times as seconds since the epoch, so both compare numerically.
std::optional<std::int64_t> secondsOf(const Json& v, DataType type) {
  if (!v.is_string()) {
    return std::nullopt;
  }
  std::string s = v.get<std::string>();
  if (type == DataType::Date && s.size() == 10) {
    s += "T00:00:00Z";
  }
  const auto t = shotgrid::parseDateTime(s);
  if (!t) {
    return std::nullopt;
  }
  return duration_cast<seconds>(t->time_since_epoch()).count();
}

std::optional<double> numberOf(const Json& v) {
  if (v.is_number()) {
    return v.get<double>();
  }
  return std::nullopt;
}

bool equalScalar(const Json& a, const Json& b, DataType type) {
  if (a.is_null() || b.is_null()) {
    return a.is_null() && b.is_null();
  }
  switch (type) {
    case DataType::Text:
    case DataType::Uuid:
    case DataType::Url:
      return lower(textOf(a)) == lower(textOf(b));
    case DataType::Number:
    case DataType::Float:
    case DataType::Duration:
    case DataType::Timecode:
    case DataType::Currency:
    case DataType::Percent: {
      const auto x = numberOf(a), y = numberOf(b);
      return x && y && *x == *y;
    }
    case DataType::Date:
    case DataType::DateTime: {
      const auto x = secondsOf(a, type), y = secondsOf(b, type);
      return x && y && *x == *y;
    }
    case DataType::Entity:
    case DataType::MultiEntity:
      return a.is_object() && b.is_object() && a.value("type", "") == b.value("type", "") &&
             a.value("id", std::int64_t{-1}) == b.value("id", std::int64_t{-2});
    default:
      return a == b;
  }
}

int compareOrdered(const Json& a, const Json& b, DataType type) {
  if (type == DataType::Date || type == DataType::DateTime) {
    const auto x = secondsOf(a, type), y = secondsOf(b, type);
    if (!x || !y) {
      return x ? 1 : (y ? -1 : 0);
    }
    return *x < *y ? -1 : (*x > *y ? 1 : 0);
  }
  return compareValues(a, b);
}

// The window [from, to) in seconds that in_last / in_next / in_calendar_* select.
std::pair<std::int64_t, std::int64_t> relativeWindow(Relation r, const Json& values, std::int64_t now,
                                                     DataType type) {
  auto unitSeconds = [](const std::string& unit) -> std::int64_t {
    const auto u = lower(unit);
    if (u == "hour" || u == "hours") return 3600;
    if (u == "week" || u == "weeks") return 7 * 86400;
    if (u == "month" || u == "months") return 30 * 86400;
    if (u == "year" || u == "years") return 365 * 86400;
    return 86400;
  };
  const std::int64_t n = values.empty() || !values[0].is_number() ? 0 : values[0].get<std::int64_t>();
  const std::string unit = values.size() > 1 && values[1].is_string() ? values[1].get<std::string>() : "DAY";
  const std::int64_t day = now - ((now % 86400) + 86400) % 86400;
  switch (r) {
    case R::InLast:
      // A date has no time of day: "in the last 2 days" spans whole days up to and including today.
      if (type == DataType::Date) {
        return {day - n * unitSeconds(unit), day + 86400};
      }
      return {now - n * unitSeconds(unit), now + 1};
    case R::InNext:
      if (type == DataType::Date) {
        return {day, day + 86400 + n * unitSeconds(unit)};
      }
      return {now, now + n * unitSeconds(unit) + 1};
    case R::InCalendarDay:
      return {day + n * 86400, day + (n + 1) * 86400};
    case R::InCalendarWeek: {
      const sys_days today{days{day / 86400}};
      const weekday wd{today};
      const auto monday = today - days{(wd.c_encoding() + 6) % 7};
      const std::int64_t start = monday.time_since_epoch().count() * 86400 + n * 7 * 86400;
      return {start, start + 7 * 86400};
    }
    case R::InCalendarMonth: {
      const year_month_day ymd{sys_days{days{day / 86400}}};
      const auto first = year_month{ymd.year(), ymd.month()} + months{n};
      const auto next = first + months{1};
      const std::int64_t a = sys_days{first / 1}.time_since_epoch().count() * 86400;
      const std::int64_t b = sys_days{next / 1}.time_since_epoch().count() * 86400;
      return {a, b};
    }
    default:
      return {0, 0};
  }
}

Json flatValues(const Json& values) {
  // ["in", [a, b]] and ["in", a, b] both arrive as values [a, b]; a nested list is unwrapped too.
  if (values.size() == 1 && values[0].is_array()) {
    return values[0];
  }
  return values;
}

bool matchScalar(const Json& value, const FilterNode& c, std::int64_t now) {
  const DataType type = c.info.schema.type;
  const Json& vs = c.values;
  const Json first = vs.empty() ? Json(nullptr) : vs[0];
  switch (c.relation) {
    case R::Is:
      if (type == DataType::Checkbox) {
        return value.is_boolean() ? value == first : first == false;
      }
      if (type == DataType::Image) {
        return first.is_null() ? value.is_null() : !value.is_null();
      }
      return equalScalar(value, first, type);
    case R::IsNot:
      if (type == DataType::Checkbox) {
        return !(value.is_boolean() ? value == first : first == false);
      }
      if (type == DataType::Image) {
        return first.is_null() ? !value.is_null() : value.is_null();
      }
      return !equalScalar(value, first, type);
    case R::In:
    case R::NotIn: {
      const Json list = flatValues(vs);
      const bool any =
          std::any_of(list.begin(), list.end(), [&](const Json& v) { return equalScalar(value, v, type); });
      return c.relation == R::In ? any : !any;
    }
    case R::LessThan:
      return !value.is_null() && compareOrdered(value, first, type) < 0;
    case R::GreaterThan:
      return !value.is_null() && compareOrdered(value, first, type) > 0;
    case R::Between:
    case R::NotBetween: {
      const Json list = flatValues(vs);
      if (list.size() < 2) {
        return false;
      }
      const bool in = !value.is_null() && compareOrdered(value, list[0], type) >= 0 &&
                      compareOrdered(value, list[1], type) <= 0;
      return c.relation == R::Between ? in : !in;
    }
    case R::Contains:
    case R::NotContains:
    case R::StartsWith:
    case R::EndsWith: {
      const std::string text = lower(textOf(value));
      const std::string needle = lower(textOf(first));
      bool hit = false;
      if (c.relation == R::StartsWith) {
        hit = text.rfind(needle, 0) == 0;
      } else if (c.relation == R::EndsWith) {
        hit = text.size() >= needle.size() &&
              text.compare(text.size() - needle.size(), needle.size(), needle) == 0;
      } else {
        hit = text.find(needle) != std::string::npos;
      }
      if (c.relation == R::NotContains) {
        return !hit;
      }
      return !value.is_null() && hit;
    }
    case R::InLast:
    case R::InNext:
    case R::InCalendarDay:
    case R::InCalendarWeek:
    case R::InCalendarMonth: {
      const auto s = secondsOf(value, type);
      if (!s) {
        return false;
      }
      const auto [from, to] = relativeWindow(c.relation, vs, now, type);
      return *s >= from && *s < to;
    }
    default:
      return false;
  }
}

bool matchLink(const Json& link, const FilterNode& c) {
  const Json& first = c.values.empty() ? Json(nullptr) : c.values[0];
  auto name = [&] {
    return lower(link.is_object() ? textOf(link.value("name", Json(nullptr))) : std::string());
  };
  const std::string needle = lower(textOf(first));
  switch (c.relation) {
    case R::TypeIs:
      return link.is_object() && link.value("type", "") == textOf(first);
    case R::TypeIsNot:
      return !(link.is_object() && link.value("type", "") == textOf(first));
    case R::NameContains:
      return link.is_object() && name().find(needle) != std::string::npos;
    case R::NameNotContains:
      return !(link.is_object() && name().find(needle) != std::string::npos);
    case R::NameStartsWith:
      return link.is_object() && name().rfind(needle, 0) == 0;
    case R::NameEndsWith: {
      const auto n = name();
      return link.is_object() && n.size() >= needle.size() &&
             n.compare(n.size() - needle.size(), needle.size(), needle) == 0;
    }
    case R::NameIs:
      return link.is_object() && name() == needle;
    default:
      return matchScalar(link, c, 0);
  }
}

// Negative relations over a list hold when no element matches the positive form.
bool negative(Relation r) {
  return r == R::IsNot || r == R::NotIn || r == R::TypeIsNot || r == R::NameNotContains ||
         r == R::NotContains || r == R::NotBetween;
}
Relation positiveOf(Relation r) {
  switch (r) {
    case R::IsNot:
      return R::Is;
    case R::NotIn:
      return R::In;
    case R::TypeIsNot:
      return R::TypeIs;
    case R::NameNotContains:
      return R::NameContains;
    case R::NotContains:
      return R::Contains;
    case R::NotBetween:
      return R::Between;
    default:
      return r;
  }
}

bool matchList(const Json& list, const FilterNode& c, std::int64_t now, bool links) {
  if (negative(c.relation)) {
    FilterNode positive = c;
    positive.relation = positiveOf(c.relation);
    return !matchList(list, positive, now, links);
  }
  // "is null" on a multi-entity field means the list is empty.
  if (c.relation == R::Is && !c.values.empty() && c.values[0].is_null()) {
    return !list.is_array() || list.empty();
  }
  if (!list.is_array()) {
    return false;
  }
  return std::any_of(list.begin(), list.end(),
                     [&](const Json& v) { return links ? matchLink(v, c) : matchScalar(v, c, now); });
}

ApiResult<FilterNode> compileNode(const Json& wire, const std::string& entityType, const RecordSource& source,
                                  const std::string& method) {
  if (!wire.is_object()) {
    return apiFail(103, "API " + method + "() filters must be a hash with logical_operator and conditions");
  }
  if (wire.contains("conditions") || wire.contains("logical_operator")) {
    FilterNode group;
    group.group = true;
    const std::string op = wire.value("logical_operator", "and");
    if (op != "and" && op != "or") {
      return apiFail(103, "API " + method + "() invalid logical_operator '" + op + "'");
    }
    group.isAnd = op == "and";
    const Json conditions = wire.value("conditions", Json::array());
    if (!conditions.is_array()) {
      return apiFail(103, "API " + method + "() conditions must be an array");
    }
    for (const auto& c : conditions) {
      auto child = compileNode(c, entityType, source, method);
      if (!child) {
        return child;
      }
      group.children.push_back(std::move(*child));
    }
    return group;
  }
  if (!wire.contains("path") || !wire["path"].is_string() || !wire.contains("relation") ||
      !wire["relation"].is_string()) {
    return apiFail(103, "API " + method + "() a condition needs path, relation and values");
  }
  FilterNode node;
  node.path = wire["path"].get<std::string>();
  const auto relation = wire["relation"].get<std::string>();
  bool known = false;
  for (const auto& r : kRelations) {
    if (relation == r.name) {
      node.relation = r.relation;
      known = true;
    }
  }
  if (!known) {
    return apiFail(103, "API " + method + "() unknown relation '" + relation + "'");
  }
  node.values = wire.value("values", Json::array());
  if (!node.values.is_array()) {
    node.values = Json::array({node.values});
  }
  auto info = source.pathInfo(entityType, node.path);
  if (!info) {
    return apiFail(103, "API " + method + "() " + entityType + "." + node.path + " doesn't exist.");
  }
  node.info = *info;
  if (node.info.schema.type == DataType::Serializable) {
    return apiFail(103, "API " + method + "() " + entityType + "." + node.path +
                            ": the 'serializable' data type cannot be used in a filter.");
  }
  if (!supported(node.info.schema.type, node.relation)) {
    return apiFail(103, "API " + method + "() the " + relation + " operator is not supported on the " +
                            std::string(dataTypeName(node.info.schema.type)) + " type (" + entityType + "." +
                            node.path + ")");
  }
  const bool needsTwo = node.relation == R::Between || node.relation == R::NotBetween;
  if (needsTwo && flatValues(node.values).size() != 2) {
    return apiFail(103, "API " + method + "() " + relation + " needs two values");
  }
  return node;
}

}  // namespace

ApiResult<FilterNode> compileFilter(const Json& wire, const std::string& entityType,
                                    const RecordSource& source, const std::string& method) {
  if (wire.is_null()) {
    FilterNode all;
    all.group = true;
    return all;
  }
  if (wire.is_array()) {  // tolerate the user-side list of wire conditions
    return compileNode(Json{{"logical_operator", "and"}, {"conditions", wire}}, entityType, source, method);
  }
  return compileNode(wire, entityType, source, method);
}

bool matches(const FilterNode& node, const std::string& entityType, const Record& record,
             const RecordSource& source) {
  if (node.group) {
    if (node.isAnd) {
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const FilterNode& c) { return matches(c, entityType, record, source); });
    }
    return std::any_of(node.children.begin(), node.children.end(),
                       [&](const FilterNode& c) { return matches(c, entityType, record, source); });
  }
  const Json value = source.pathValue(entityType, record, node.path);
  const DataType type = node.info.schema.type;
  const bool links = type == DataType::Entity || type == DataType::MultiEntity;
  if (type == DataType::MultiEntity || node.info.throughMulti) {
    return matchList(value, node, source.nowSeconds(), links);
  }
  return links ? matchLink(value, node) : matchScalar(value, node, source.nowSeconds());
}

int compareValues(const Json& a, const Json& b) {
  if (a.is_null() || b.is_null()) {
    return a.is_null() ? (b.is_null() ? 0 : -1) : 1;
  }
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_boolean() && b.is_boolean()) {
    return static_cast<int>(a.get<bool>()) - static_cast<int>(b.get<bool>());
  }
  if (a.is_string() && b.is_string()) {
    const auto x = lower(a.get<std::string>()), y = lower(b.get<std::string>());
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_object() && b.is_object()) {
    const int byName = compareValues(a.value("name", Json(nullptr)), b.value("name", Json(nullptr)));
    if (byName != 0) {
      return byName;
    }
    return compareValues(a.value("id", Json(nullptr)), b.value("id", Json(nullptr)));
  }
  if (a.is_array() && b.is_array()) {
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  }
  const auto x = a.dump(), y = b.dump();
  return x < y ? -1 : (x > y ? 1 : 0);
}

}  // namespace sgeventd::sim
