// read, summarize and the schema calls; plus the fast path for the event log's id-range reads.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "sim/filter.h"
#include "sim/json_text.h"
#include "sim/site_state.h"

namespace sgeventd::sim {
namespace {

struct SortKey {
  std::string field;
  bool ascending = true;
};

struct Paging {
  std::int64_t perPage = 500;
  std::int64_t page = 1;
};

constexpr std::int64_t kMaxPerPage = 500;

ApiResult<Paging> parsePaging(const Json& params) {
  Paging p;
  if (!params.contains("paging") || params["paging"].is_null()) {
    return p;
  }
  const Json& paging = params["paging"];
  if (!paging.is_object()) {
    return apiFail(103, "API read() invalid/missing hash 'paging'");
  }
  if (paging.contains("entities_per_page")) {
    const Json& n = paging["entities_per_page"];
    if (!n.is_number_integer() || n.get<std::int64_t>() < 1) {
      return apiFail(103, "API read() invalid/missing integer 'paging' 'entities_per_page': " + n.dump());
    }
    p.perPage = std::min(n.get<std::int64_t>(), kMaxPerPage);
  }
  if (paging.contains("current_page")) {
    const Json& n = paging["current_page"];
    if (!n.is_number_integer() || n.get<std::int64_t>() < 1) {
      return apiFail(103, "API read() invalid/missing integer 'paging' 'current_page': " + n.dump());
    }
    p.page = n.get<std::int64_t>();
  }
  return p;
}

ApiResult<std::vector<SortKey>> parseSorts(const Json& params) {
  std::vector<SortKey> keys;
  const Json sorts = params.value("sorts", Json::array());
  if (sorts.is_null()) {
    return keys;
  }
  if (!sorts.is_array()) {
    return apiFail(103, "API read() sorts must be a list of {field_name, direction}");
  }
  for (const auto& s : sorts) {
    if (!s.is_object()) {
      return apiFail(103, "API read() sorts must be a list of {field_name, direction}");
    }
    SortKey key;
    key.field = s.value("field_name", s.value("column", ""));
    const std::string direction = s.value("direction", "asc");
    if (direction != "asc" && direction != "desc") {
      return apiFail(103, "API read() invalid sort direction '" + direction + "'");
    }
    key.ascending = direction == "asc";
    if (!key.field.empty()) {
      keys.push_back(std::move(key));
    }
  }
  return keys;
}

Json pagingInfo(const Paging& p, std::int64_t count, bool withCounts, bool hasNext) {
  Json info{{"current_page", p.page}, {"entities_per_page", p.perPage}, {"has_next_page", hasNext}};
  if (withCounts) {
    info["entity_count"] = count;
    info["page_count"] = (count + p.perPage - 1) / p.perPage;
  }
  return info;
}

const std::set<std::string> kFastEventFields{"id",     "type", "event_type", "attribute_name", "meta",
                                             "entity", "user", "project",    "session_uuid",   "created_at"};

std::vector<std::string> returnFieldList(const Json& params) {
  std::vector<std::string> fields;
  const Json rf = params.value("return_fields", Json::array({"id"}));
  if (rf.is_array()) {
    for (const auto& f : rf) {
      if (f.is_string()) {
        fields.push_back(f.get<std::string>());
      }
    }
  }
  return fields;
}

}  // namespace

std::optional<std::string> Site::State::fastEventRead(const Json& params, std::int64_t* rowsOut) const {
  if (params.value("type", "") != "EventLogEntry" || params.value("return_only", "active") != "active") {
    return std::nullopt;
  }
  const auto fields = returnFieldList(params);
  if (!params.value("return_fields", Json::array()).is_array() ||
      std::any_of(fields.begin(), fields.end(),
                  [](const std::string& f) { return !kFastEventFields.count(f); })) {
    return std::nullopt;
  }
  auto paging = parsePaging(params);
  auto sorts = parseSorts(params);
  if (!paging || !sorts || sorts->size() > 1 || (sorts->size() == 1 && sorts->front().field != "id")) {
    return std::nullopt;
  }
  const bool ascending = sorts->empty() || sorts->front().ascending;
  std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  std::optional<std::set<std::int64_t>> idSet;
  const Json filters = params.value("filters", Json(nullptr));
  if (!filters.is_null()) {
    if (!filters.is_object() || !filters.value("conditions", Json::array()).is_array()) {
      return std::nullopt;
    }
    const Json& conditions = filters["conditions"];
    if (filters.value("logical_operator", "and") != "and" && conditions.size() > 1) {
      return std::nullopt;
    }
    for (const auto& c : conditions) {
      if (!c.is_object() || c.value("path", "") != "id" || !c.contains("values") || !c["values"].is_array()) {
        return std::nullopt;
      }
      Json values = c["values"];
      if (values.size() == 1 && values[0].is_array()) {
        values = values[0];
      }
      if (!std::all_of(values.begin(), values.end(), [](const Json& v) { return v.is_number_integer(); })) {
        return std::nullopt;
      }
      const std::string relation = c.value("relation", "");
      if ((relation == "greater_than" || relation == "less_than" || relation == "is") && values.size() != 1) {
        return std::nullopt;
      }
      if (relation == "greater_than") {
        lo = std::max(lo, values[0].get<std::int64_t>() + 1);
      } else if (relation == "less_than") {
        hi = std::min(hi, values[0].get<std::int64_t>() - 1);
      } else if (relation == "between" && values.size() == 2) {
        lo = std::max(lo, values[0].get<std::int64_t>());
        hi = std::min(hi, values[1].get<std::int64_t>());
      } else if (relation == "is" || relation == "in") {
        std::set<std::int64_t> ids;
        for (const auto& v : values) {
          if (!idSet || idSet->count(v.get<std::int64_t>())) {
            ids.insert(v.get<std::int64_t>());
          }
        }
        idSet = std::move(ids);
      } else {
        return std::nullopt;
      }
    }
  }
  const std::int64_t now = nowSeconds();
  const auto& rows = events.rows();
  // Candidate row indexes in id order.
  std::vector<std::size_t> picked;
  std::size_t begin = 0, end = 0;
  if (idSet) {
    for (const auto id : *idSet) {
      if (id < lo || id > hi) {
        continue;
      }
      const auto i = events.lowerBound(id);
      if (i < rows.size() && rows[i].id == id) {
        picked.push_back(i);
      }
    }
  } else if (lo <= hi) {
    begin = events.lowerBound(lo);
    end = hi == std::numeric_limits<std::int64_t>::max() ? rows.size() : events.lowerBound(hi + 1);
  }
  const bool useList = idSet.has_value();
  const std::size_t total = useList ? picked.size() : (end > begin ? end - begin : 0);
  auto rowAt = [&](std::size_t k) -> const EventRow& {
    const std::size_t pos = ascending ? k : total - 1 - k;
    return rows[useList ? picked[pos] : begin + pos];
  };
  const bool withCounts = !params.value("return_paging_info_without_counts", false);
  std::int64_t count = static_cast<std::int64_t>(total);
  if (withCounts) {
    if (useList) {
      count = std::count_if(picked.begin(), picked.end(),
                            [&](std::size_t i) { return visible(rows[i].id, now); });
    } else if (total > 0) {
      for (auto it = hidden.lower_bound(rows[begin].id); it != hidden.end() && it->first <= rows[end - 1].id;
           ++it) {
        if (!visible(it->first, now) && events.find(it->first)) {
          --count;
        }
      }
    }
  }
  const std::int64_t skip = (paging->page - 1) * paging->perPage;
  std::string out;
  out.reserve(static_cast<std::size_t>(paging->perPage) * 420 + 256);
  out += "{\"results\":{\"entities\":[";
  std::int64_t seen = 0, written = 0;
  bool hasNext = false;
  EventPageWriter writer(*this, fields);
  for (std::size_t k = 0; k < total; ++k) {
    const EventRow& row = rowAt(k);
    if (!visible(row.id, now)) {
      continue;
    }
    if (seen++ < skip) {
      continue;
    }
    if (written == paging->perPage) {
      hasNext = true;
      break;
    }
    if (written > 0) {
      out.push_back(',');
    }
    writer.append(out, row);
    ++written;
  }
  if (withCounts) {
    hasNext = skip + written < count;
  }
  out += "],\"paging_info\":";
  out += pagingInfo(*paging, count, withCounts, hasNext).dump();
  out += "}}";
  if (rowsOut) {
    *rowsOut = written;
  }
  return out;
}

ApiResult<Json> Site::State::readLocked(const Json& params, std::int64_t* rowsOut) const {
  if (!params.is_object() || !params.contains("type") || !params["type"].is_string()) {
    return apiFail(103, "API read() requires a 'type'");
  }
  const std::string type = params["type"].get<std::string>();
  if (!schema.count(type)) {
    return apiFail(103, "API read() unknown entity type '" + type + "'");
  }
  if (params.contains("return_fields") && !params["return_fields"].is_array()) {
    return apiFail(103, "API read() return_fields must be a list");
  }
  const std::string returnOnly = params.value("return_only", "active");
  if (returnOnly != "active" && returnOnly != "retired") {
    return apiFail(103, "API read() return_only must be 'active' or 'retired'");
  }
  auto filter = compileFilter(params.value("filters", Json(nullptr)), type, *this, "read");
  if (!filter) {
    return tl::unexpected(filter.error());
  }
  auto paging = parsePaging(params);
  if (!paging) {
    return tl::unexpected(paging.error());
  }
  auto sorts = parseSorts(params);
  if (!sorts) {
    return tl::unexpected(sorts.error());
  }
  const auto fields = returnFieldList(params);

  std::vector<Record> matched;
  if (type == "EventLogEntry") {
    if (returnOnly == "active") {
      const std::int64_t now = nowSeconds();
      for (const auto& row : events.rows()) {
        Record r{nullptr, &row};
        if (visible(row.id, now) && matches(*filter, type, r, *this)) {
          matched.push_back(r);
        }
      }
    }
  } else if (auto table = tables.find(type); table != tables.end()) {
    const bool wantRetired = returnOnly == "retired";
    for (const auto& [id, row] : table->second.rows) {
      Record r{&row, nullptr};
      if (row.retired == wantRetired && matches(*filter, type, r, *this)) {
        matched.push_back(r);
      }
    }
  }
  if (!sorts->empty()) {
    std::vector<std::pair<std::vector<Json>, Record>> keyed;
    keyed.reserve(matched.size());
    for (const auto& r : matched) {
      std::vector<Json> keys;
      for (const auto& s : *sorts) {
        keys.push_back(pathValue(type, r, s.field));
      }
      keyed.emplace_back(std::move(keys), r);
    }
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      for (std::size_t i = 0; i < sorts->size(); ++i) {
        const int c = compareValues(a.first[i], b.first[i]);
        if (c != 0) {
          return (*sorts)[i].ascending ? c < 0 : c > 0;
        }
      }
      return a.second.id() < b.second.id();
    });
    for (std::size_t i = 0; i < keyed.size(); ++i) {
      matched[i] = keyed[i].second;
    }
  }
  const auto count = static_cast<std::int64_t>(matched.size());
  const std::int64_t skip = (paging->page - 1) * paging->perPage;
  Json entities = Json::array();
  for (std::int64_t i = skip; i < count && i < skip + paging->perPage; ++i) {
    const Record& r = matched[static_cast<std::size_t>(i)];
    Json e{{"type", type}, {"id", r.id()}};
    for (const auto& f : fields) {
      if (f != "id" && f != "type" && pathInfo(type, f)) {
        e[f] = pathValue(type, r, f);
      }
    }
    entities.push_back(std::move(e));
  }
  if (rowsOut) {
    *rowsOut = static_cast<std::int64_t>(entities.size());
  }
  const bool withCounts = !params.value("return_paging_info_without_counts", false);
  const bool hasNext = skip + static_cast<std::int64_t>(entities.size()) < count;
  return Json{{"entities", std::move(entities)},
              {"paging_info", pagingInfo(*paging, count, withCounts, hasNext)}};
}

namespace {

ApiResult<Json> summarizeValues(const std::vector<Json>& values, const std::string& kind,
                                std::size_t records) {
  std::vector<const Json*> present;
  for (const auto& v : values) {
    if (!v.is_null() && !(v.is_array() && v.empty()) && !(v.is_string() && v.get<std::string>().empty())) {
      present.push_back(&v);
    }
  }
  if (kind == "record_count") return Json(records);
  if (kind == "count") return Json(present.size());
  if (kind == "checked" || kind == "unchecked") {
    const bool want = kind == "checked";
    return Json(std::count_if(values.begin(), values.end(),
                              [&](const Json& v) { return v.is_boolean() ? v.get<bool>() == want : !want; }));
  }
  if (kind == "sum" || kind == "average") {
    double sum = 0;
    bool integral = true;
    std::size_t n = 0;
    for (const auto* v : present) {
      if (v->is_number()) {
        sum += v->get<double>();
        integral = integral && v->is_number_integer();
        ++n;
      }
    }
    if (kind == "average") {
      return n == 0 ? Json(nullptr) : Json(sum / static_cast<double>(n));
    }
    return integral ? Json(static_cast<std::int64_t>(std::llround(sum))) : Json(sum);
  }
  if (kind == "maximum" || kind == "minimum" || kind == "latest" || kind == "earliest") {
    const bool max = kind == "maximum" || kind == "latest";
    const Json* best = nullptr;
    for (const auto* v : present) {
      if (!best || (max ? compareValues(*v, *best) > 0 : compareValues(*v, *best) < 0)) {
        best = v;
      }
    }
    return best ? *best : Json(nullptr);
  }
  return apiFail(103, "API summarize() unsupported summary type '" + kind + "'");
}

std::string groupName(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) {
    const auto name = v.value("name", Json(nullptr));
    return name.is_string() ? name.get<std::string>() : std::to_string(v.value("id", 0));
  }
  return v.dump();
}

}  // namespace

ApiResult<Json> Site::State::summarizeLocked(const Json& params) const {
  if (!params.is_object() || !params.contains("type") || !params["type"].is_string()) {
    return apiFail(103, "API summarize() requires a 'type'");
  }
  const std::string type = params["type"].get<std::string>();
  if (!schema.count(type)) {
    return apiFail(103, "API summarize() unknown entity type '" + type + "'");
  }
  auto filter = compileFilter(params.value("filters", Json(nullptr)), type, *this, "summarize");
  if (!filter) {
    return tl::unexpected(filter.error());
  }
  const Json summaries = params.value("summaries", params.value("summary_fields", Json::array()));
  const Json grouping = params.value("grouping", Json::array());
  if (!summaries.is_array() || !(grouping.is_array() || grouping.is_null())) {
    return apiFail(103, "API summarize() summaries and grouping must be lists");
  }
  for (const auto& s : summaries) {
    if (!s.is_object() || !s.contains("field") || !s["field"].is_string() ||
        !pathInfo(type, s["field"].get<std::string>())) {
      return apiFail(103, "API summarize() every summary needs an existing 'field' and a 'type'");
    }
  }
  std::vector<Record> records;
  if (type == "EventLogEntry") {
    const std::int64_t now = nowSeconds();
    for (const auto& row : events.rows()) {
      Record r{nullptr, &row};
      if (visible(row.id, now) && matches(*filter, type, r, *this)) {
        records.push_back(r);
      }
    }
  } else if (auto table = tables.find(type); table != tables.end()) {
    for (const auto& [id, row] : table->second.rows) {
      Record r{&row, nullptr};
      if (!row.retired && matches(*filter, type, r, *this)) {
        records.push_back(r);
      }
    }
  }
  auto summarize = [&](const std::vector<Record>& rs) -> ApiResult<Json> {
    Json out = Json::object();
    for (const auto& s : summaries) {
      const std::string field = s["field"].get<std::string>();
      std::vector<Json> values;
      values.reserve(rs.size());
      for (const auto& r : rs) {
        values.push_back(pathValue(type, r, field));
      }
      auto v = summarizeValues(values, s.value("type", "count"), rs.size());
      if (!v) {
        return v;
      }
      out[field] = std::move(*v);
    }
    return out;
  };
  std::function<ApiResult<Json>(const std::vector<Record>&, std::size_t)> group =
      [&](const std::vector<Record>& rs, std::size_t level) -> ApiResult<Json> {
    const Json& g = grouping[level];
    if (!g.is_object() || !g.contains("field") || !g["field"].is_string()) {
      return apiFail(103, "API summarize() every grouping needs a 'field'");
    }
    const std::string field = g["field"].get<std::string>();
    const std::string kind = g.value("type", "exact");
    if (!pathInfo(type, field)) {
      return apiFail(103, "API summarize() " + type + "." + field + " doesn't exist.");
    }
    if (kind != "exact" && kind != "firstletter" && kind != "entitytype") {
      return apiFail(103, "API summarize() unsupported grouping type '" + kind + "'");
    }
    std::vector<std::pair<Json, std::vector<Record>>> buckets;
    for (const auto& r : rs) {
      Json key = pathValue(type, r, field);
      if (kind == "firstletter") {
        const auto name = groupName(key);
        key =
            name.empty()
                ? Json("")
                : Json(std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])))));
      } else if (kind == "entitytype") {
        key = key.is_object() ? Json(key.value("type", "")) : Json(nullptr);
      }
      auto it = std::find_if(buckets.begin(), buckets.end(), [&](const auto& b) { return b.first == key; });
      if (it == buckets.end()) {
        buckets.emplace_back(key, std::vector<Record>{r});
      } else {
        it->second.push_back(r);
      }
    }
    const bool ascending = g.value("direction", "asc") != "desc";
    std::stable_sort(buckets.begin(), buckets.end(), [&](const auto& a, const auto& b) {
      const int c = compareValues(a.first, b.first);
      return ascending ? c < 0 : c > 0;
    });
    Json groups = Json::array();
    for (const auto& [key, members] : buckets) {
      auto s = summarize(members);
      if (!s) {
        return s;
      }
      Json entry{{"group_name", groupName(key)}, {"group_value", key}, {"summaries", std::move(*s)}};
      if (level + 1 < grouping.size()) {
        auto sub = group(members, level + 1);
        if (!sub) {
          return sub;
        }
        entry["groups"] = std::move(*sub);
      }
      groups.push_back(std::move(entry));
    }
    return groups;
  };
  auto top = summarize(records);
  if (!top) {
    return top;
  }
  Json result{{"summaries", std::move(*top)}, {"groups", Json::array()}};
  if (grouping.is_array() && !grouping.empty()) {
    auto groups = group(records, 0);
    if (!groups) {
      return groups;
    }
    result["groups"] = std::move(*groups);
  }
  return result;
}

ApiResult<Json> Site::State::schemaReadLocked(const Json& params, const std::string& method) const {
  if (method == "schema_read") {
    Json out = Json::object();
    for (const auto& [type, es] : schema) {
      Json fields = Json::object();
      for (const auto& [name, fs] : es.fields) {
        fields[name] = fieldSchemaJson(type, name, fs);
      }
      out[type] = std::move(fields);
    }
    return out;
  }
  if (method == "schema_entity_read") {
    Json out = Json::object();
    for (const auto& [type, es] : schema) {
      out[type] = entitySchemaJson(es);
    }
    return out;
  }
  // schema_field_read
  const std::string type = params.is_object() ? params.value("type", "") : "";
  const auto es = schema.find(type);
  if (es == schema.end()) {
    return apiFail(103, "API schema_field_read() unknown entity type '" + type + "'");
  }
  Json out = Json::object();
  if (params.contains("field_name") && params["field_name"].is_string()) {
    const auto name = params["field_name"].get<std::string>();
    const FieldSchema* fs = es->second.field(name);
    if (!fs) {
      return apiFail(103, "API schema_field_read() " + type + "." + name + " doesn't exist.");
    }
    out[name] = fieldSchemaJson(type, name, *fs);
    return out;
  }
  for (const auto& [name, fs] : es->second.fields) {
    out[name] = fieldSchemaJson(type, name, fs);
  }
  return out;
}

}  // namespace sgeventd::sim
