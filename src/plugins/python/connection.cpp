#include "plugins/python/connection.h"

#include <optional>

namespace sgeventd::plugins::python {
namespace {

using shotgrid::ClientError;
using shotgrid::ErrorKind;
using shotgrid::Json;
using shotgrid::Result;

Result<Json> invalid(std::string message) {
  return tl::unexpected(ClientError{ErrorKind::InvalidArgument, std::move(message)});
}

Json member(const Json& arguments, const char* name) {
  auto it = arguments.find(name);
  return it == arguments.end() ? Json(nullptr) : *it;
}

std::vector<std::string> stringList(const Json& value) {
  std::vector<std::string> out;
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  }
  return out;
}

shotgrid::FindOptions findOptions(const Json& arguments) {
  shotgrid::FindOptions options;
  if (auto order = member(arguments, "order"); order.is_array()) {
    options.order = order;
  }
  if (auto limit = member(arguments, "limit"); limit.is_number_integer() && limit.get<int>() > 0) {
    options.limit = limit.get<int>();
  }
  if (auto page = member(arguments, "page"); page.is_number_integer() && page.get<int>() > 0) {
    options.page = page.get<int>();
  }
  options.retiredOnly = member(arguments, "retired_only") == true;
  options.includeArchivedProjects = member(arguments, "include_archived_projects") != false;
  options.additionalFilterPresets = member(arguments, "additional_filter_presets");
  return options;
}

Result<Json> boolResult(Result<bool> result) {
  if (!result) {
    return tl::unexpected(result.error());
  }
  return Json(*result);
}

}  // namespace

Result<Json> dispatchRequest(shotgrid::Client& client, const std::string& operation, const Json& arguments) {
  try {
    const Json entityType = member(arguments, "entity_type");
    if (operation == "info") {
      return client.info();
    }
    if (operation == "schema_read") {
      return client.schemaRead(member(arguments, "project_entity"));
    }
    if (operation == "schema_entity_read") {
      return client.schemaEntityRead(member(arguments, "project_entity"));
    }
    if (operation == "batch") {
      return client.batch(member(arguments, "requests"));
    }
    if (!entityType.is_string()) {
      return invalid(operation + "() needs entity_type as a string");
    }
    const std::string type = entityType.get<std::string>();
    if (operation == "find") {
      return client.find(type, member(arguments, "filters"), stringList(member(arguments, "fields")),
                         findOptions(arguments));
    }
    if (operation == "find_one") {
      return client.findOne(type, member(arguments, "filters"), stringList(member(arguments, "fields")),
                            findOptions(arguments));
    }
    if (operation == "create") {
      return client.create(type, member(arguments, "data"), stringList(member(arguments, "return_fields")));
    }
    if (operation == "summarize") {
      return client.summarize(type, member(arguments, "filters"), member(arguments, "summary_fields"),
                              member(arguments, "grouping"),
                              member(arguments, "include_archived_projects") != false);
    }
    if (operation == "schema_field_read") {
      const Json field = member(arguments, "field_name");
      return client.schemaFieldRead(
          type, field.is_string() ? std::optional<std::string>(field.get<std::string>()) : std::nullopt,
          member(arguments, "project_entity"));
    }
    const Json id = member(arguments, "entity_id");
    if (!id.is_number_integer()) {
      return invalid(operation + "() needs entity_id as an int");
    }
    if (operation == "update") {
      return client.update(type, id.get<std::int64_t>(), member(arguments, "data"),
                           member(arguments, "multi_entity_update_modes"));
    }
    if (operation == "delete") {
      return boolResult(client.remove(type, id.get<std::int64_t>()));
    }
    if (operation == "revive") {
      return boolResult(client.revive(type, id.get<std::int64_t>()));
    }
    return invalid("unknown operation " + operation);
  } catch (const std::exception& error) {  // nlohmann type errors on odd arguments
    return invalid(operation + "(): " + error.what());
  }
}

Connection::Connection(std::unique_ptr<shotgrid::Client> client) : client_(std::move(client)) {}

py::tuple Connection::request(const std::string& operation, const std::string& argumentsJson) {
  Result<Json> result = [&]() -> Result<Json> {
    py::gil_scoped_release release;
    const Json arguments = Json::parse(argumentsJson, nullptr, false);
    if (arguments.is_discarded() || !arguments.is_object()) {
      return invalid("the arguments of " + operation + "() are not a JSON object");
    }
    std::lock_guard lock(mutex_);
    return dispatchRequest(*client_, operation, arguments);
  }();
  if (!result) {
    const auto& error = result.error();
    return py::make_tuple(py::make_tuple(std::string(shotgrid::errorKindName(error.kind)), error.describe(),
                                         error.faultCode, error.httpStatus),
                          py::none());
  }
  std::string text = result->dump(-1, ' ', false, Json::error_handler_t::replace);
  return py::make_tuple(py::none(), py::str(text));
}

void Connection::setSessionUuid(py::object uuid) {
  std::optional<std::string> value;
  if (!uuid.is_none()) {
    value = py::str(uuid).cast<std::string>();
  }
  py::gil_scoped_release release;  // never wait for this mutex while holding the GIL
  std::lock_guard lock(mutex_);
  client_->setSessionUuid(std::move(value));
}

py::object Connection::sessionUuid() const {
  std::optional<std::string> uuid;
  {
    py::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    uuid = client_->options().auth.sessionUuid;
  }
  return uuid ? py::object(py::str(*uuid)) : py::object(py::none());
}

std::string Connection::server() const { return client_->options().server; }

std::string Connection::scriptName() const { return client_->options().auth.scriptName; }

py::object Connection::httpProxy() const {
  const auto& proxy = client_->options().httpProxy;
  return proxy ? py::object(py::str(*proxy)) : py::object(py::none());
}

}  // namespace sgeventd::plugins::python
