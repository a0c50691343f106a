#include "shotgrid/filters.h"

#include <array>
#include <string>

namespace sgeventd::shotgrid {
namespace {

constexpr std::array<std::string_view, 8> kEntityFilterKeys = {
    "id", "type", "url", "name", "content_type", "local_path", "storage", "relative_path"};

tl::unexpected<ClientError> invalid(std::string message) {
  return tl::unexpected(ClientError{ErrorKind::InvalidArgument, std::move(message)});
}

Result<std::string> logicalOperator(std::string_view op) {
  if (op == "all" || op == "and") {
    return std::string("and");
  }
  if (op == "any" || op == "or") {
    return std::string("or");
  }
  return invalid("unknown filter_operator '" + std::string(op) + "' (expected all, any, and or or)");
}

bool trimsEntities(const std::string& path, const std::string& relation) {
  return path != "id" &&
         (relation == "is" || relation == "is_not" || relation == "in" || relation == "not_in");
}

Result<Json> translateList(const Json& filters, std::string_view filterOperator);

Result<Json> translateCondition(const Json& filter) {
  if (filter.is_object()) {
    if (filter.contains("logical_operator") && filter.contains("conditions")) {
      return filter;  // already wire form
    }
    const auto op = filter.find("filter_operator");
    const auto nested = filter.find("filters");
    if (op == filter.end() || !op->is_string() || nested == filter.end()) {
      return invalid("a filter dict needs 'filter_operator' (string) and 'filters': " + filter.dump());
    }
    return translateList(*nested, op->get_ref<const std::string&>());
  }
  if (!filter.is_array() || filter.size() < 2 || !filter[0].is_string() || !filter[1].is_string()) {
    return invalid("a filter must be [path, relation, values...] or a filter_operator dict: " +
                   filter.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  const auto& path = filter[0].get_ref<const std::string&>();
  const auto& relation = filter[1].get_ref<const std::string&>();
  Json values = Json::array();
  if (filter.size() == 3 && filter[2].is_array()) {
    values = filter[2];
  } else {
    for (std::size_t i = 2; i < filter.size(); ++i) {
      values.push_back(filter[i]);
    }
  }
  if (trimsEntities(path, relation)) {
    for (auto& v : values) {
      if (v.is_object()) {
        v = minimizeEntity(v);
      }
    }
  }
  return Json{{"path", path}, {"relation", relation}, {"values", std::move(values)}};
}

Result<Json> translateList(const Json& filters, std::string_view filterOperator) {
  auto op = logicalOperator(filterOperator);
  if (!op) {
    return tl::unexpected(op.error());
  }
  if (!filters.is_array()) {
    return invalid("filters must be a list: " + filters.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  Json conditions = Json::array();
  for (const auto& f : filters) {
    auto condition = translateCondition(f);
    if (!condition) {
      return condition;
    }
    conditions.push_back(std::move(*condition));
  }
  return Json{{"logical_operator", std::move(*op)}, {"conditions", std::move(conditions)}};
}

}  // namespace

Json minimizeEntity(const Json& entity) {
  Json out = Json::object();
  for (const auto key : kEntityFilterKeys) {
    const auto it = entity.find(key);
    if (it != entity.end()) {
      out[std::string(key)] = *it;
    }
  }
  return out;
}

Result<Json> translateFilters(const Json& filters, std::string_view filterOperator) {
  if (filters.is_null()) {
    return translateList(Json::array(), filterOperator);
  }
  if (filters.is_object()) {
    return translateCondition(filters);
  }
  return translateList(filters, filterOperator);
}

Result<Json> translateOrder(const Json& order) {
  Json sorts = Json::array();
  if (order.is_null()) {
    return sorts;
  }
  if (!order.is_array()) {
    return invalid("order must be a list of {field_name, direction} dicts");
  }
  for (const auto& item : order) {
    if (!item.is_object()) {
      return invalid("order entries must be dicts: " +
                     item.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    auto field = item.find("field_name");
    if (field == item.end()) {
      field = item.find("column");
    }
    if (field == item.end() || !field->is_string()) {
      return invalid("order entry without field_name: " +
                     item.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    std::string direction = "asc";
    const auto dir = item.find("direction");
    if (dir != item.end() && !dir->is_null()) {
      if (!dir->is_string() || (*dir != "asc" && *dir != "desc")) {
        return invalid("order direction must be asc or desc");
      }
      direction = dir->get<std::string>();
    }
    sorts.push_back(Json{{"field_name", *field}, {"direction", std::move(direction)}});
  }
  return sorts;
}

}  // namespace sgeventd::shotgrid
