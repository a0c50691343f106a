// `sgeventd sg ...`: one api3 call from the command line, printed as JSON. A debugging aid for operators
// and plugin authors; the flags --server, --script-name and --script-key default to the environment
// variables SG_SERVER, SG_SCRIPT_NAME and SG_SCRIPT_KEY.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"
#include "shotgrid/client.h"

namespace sgeventd::app {
namespace {

using shotgrid::Json;

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

struct SgArgs {
  std::string server;
  std::string scriptName;
  std::string scriptKey;
  std::optional<std::string> sessionUuid;
  std::optional<std::string> sudoAs;
  std::optional<std::string> proxy;
  std::optional<std::string> ca;
  bool noVerify = false;
  double timeoutSecs = 60;

  // Method arguments (each method uses some of them).
  std::string entityType;
  std::string filtersJson = "[]";
  std::string dataJson;
  std::string requestsJson;
  std::string summariesJson;
  std::optional<std::string> groupingJson;
  std::optional<std::string> modesJson;
  std::optional<std::string> orderJson;
  std::optional<std::string> fields;
  std::optional<std::string> fieldName;
  std::optional<int> limit;
  std::optional<int> page;
  std::int64_t id = 0;
  bool retiredOnly = false;
};

struct UsageError {
  std::string message;
};

Json parseJsonArg(const std::string& text, const char* what) {
  Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded()) {
    throw UsageError{std::string(what) + " is not valid JSON: " + text};
  }
  return value;
}

std::vector<std::string> splitFields(const std::optional<std::string>& fields) {
  std::vector<std::string> out;
  if (!fields) {
    return out;
  }
  std::stringstream in(*fields);
  for (std::string field; std::getline(in, field, ',');) {
    if (!field.empty()) {
      out.push_back(field);
    }
  }
  return out;
}

shotgrid::ClientOptions clientOptions(const SgArgs& a) {
  if (a.server.empty()) {
    throw UsageError{"--server (or SG_SERVER) is required"};
  }
  if (a.scriptName.empty() || a.scriptKey.empty()) {
    throw UsageError{"--script-name and --script-key (or SG_SCRIPT_NAME, SG_SCRIPT_KEY) are required"};
  }
  shotgrid::ClientOptions o;
  o.server = a.server;
  o.auth = {a.scriptName, a.scriptKey, a.sessionUuid, a.sudoAs};
  o.httpProxy = a.proxy;
  o.caPath = a.ca;
  o.verifyTls = !a.noVerify;
  o.totalTimeout = std::chrono::milliseconds(static_cast<std::int64_t>(a.timeoutSecs * 1000));
  o.connectTimeout = std::min(o.totalTimeout, std::chrono::milliseconds(10000));
  return o;
}

shotgrid::FindOptions findOptions(const SgArgs& a) {
  shotgrid::FindOptions f;
  if (a.orderJson) {
    f.order = parseJsonArg(*a.orderJson, "--order");
  }
  f.limit = a.limit;
  f.page = a.page;
  f.retiredOnly = a.retiredOnly;
  return f;
}

using Method = std::function<shotgrid::Result<Json>(shotgrid::Client&, const SgArgs&)>;

// Runs one method and prints its result; never throws.
int runMethod(const SgArgs& args, const Method& method) {
  try {
    shotgrid::Client client(clientOptions(args));
    auto result = method(client, args);
    if (!result) {
      std::cerr << "error: " << result.error().describe() << "\n";
      return kExitError;
    }
    std::cout << result->dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.message << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitError;
  }
}

shotgrid::Result<Json> fromBool(shotgrid::Result<bool>&& r) {
  if (!r) {
    return tl::unexpected(std::move(r.error()));
  }
  return Json(*r);
}

CLI::App* addMethod(CLI::App& sg, CommandLine& cl, const std::shared_ptr<SgArgs>& args,
                    const std::string& name, const std::string& help, Method method) {
  CLI::App* sub = sg.add_subcommand(name, help);
  sub->callback([&cl, args, method = std::move(method)] {
    cl.action = [args, method] { return runMethod(*args, method); };
  });
  return sub;
}

}  // namespace

void registerSgCommand(CLI::App& root, CommandLine& cl) {
  auto args = std::make_shared<SgArgs>();
  CLI::App* sg = root.add_subcommand(
      "sg",
      "Send one api3 call to a site and print the JSON result (SG_SERVER, SG_SCRIPT_NAME, SG_SCRIPT_KEY "
      "give the defaults of --server, --script-name, --script-key)");
  sg->require_subcommand(1);
  sg->fallthrough();  // the connection flags may also follow the method
  sg->add_option("--server", args->server, "site URL, e.g. https://studio.shotgrid.autodesk.com")
      ->envname("SG_SERVER");
  sg->add_option("--script-name", args->scriptName, "API script name")->envname("SG_SCRIPT_NAME");
  sg->add_option("--script-key", args->scriptKey, "API script key")->envname("SG_SCRIPT_KEY");
  sg->add_option("--session-uuid", args->sessionUuid, "session_uuid sent with the call");
  sg->add_option("--sudo-as", args->sudoAs, "sudo_as_login sent with the call");
  sg->add_option("--proxy", args->proxy, "HTTP proxy, [user:pass@]host:port");
  sg->add_option("--ca", args->ca, "CA bundle file or certificate directory");
  sg->add_flag("--no-verify", args->noVerify, "do not verify the server's TLS certificate");
  sg->add_option("--timeout", args->timeoutSecs, "seconds before a request times out (default 60)");

  addMethod(*sg, cl, args, "info", "server info",
            [](shotgrid::Client& c, const SgArgs&) { return c.info(); });

  for (const bool one : {false, true}) {
    CLI::App* find =
        addMethod(*sg, cl, args, one ? "find-one" : "find",
                  one ? "first entity matching filters (null when none)" : "entities matching filters",
                  [one](shotgrid::Client& c, const SgArgs& a) {
                    const Json filters = parseJsonArg(a.filtersJson, "FILTERS_JSON");
                    const auto fields = splitFields(a.fields);
                    return one ? c.findOne(a.entityType, filters, fields, findOptions(a))
                               : c.find(a.entityType, filters, fields, findOptions(a));
                  });
    find->add_option("type", args->entityType, "entity type")->required();
    find->add_option("filters", args->filtersJson, "filters as JSON, e.g. '[[\"id\",\"is\",1]]'")->required();
    find->add_option("--fields", args->fields, "comma-separated fields to return");
    find->add_option("--order", args->orderJson, "JSON list of {field_name, direction}");
    find->add_flag("--retired-only", args->retiredOnly, "only retired entities");
    if (!one) {
      find->add_option("--limit", args->limit, "at most this many entities");
      find->add_option("--page", args->page, "one 1-based page");
    }
  }

  CLI::App* create =
      addMethod(*sg, cl, args, "create", "create an entity", [](shotgrid::Client& c, const SgArgs& a) {
        return c.create(a.entityType, parseJsonArg(a.dataJson, "DATA_JSON"), splitFields(a.fields));
      });
  create->add_option("type", args->entityType, "entity type")->required();
  create->add_option("data", args->dataJson, "field values as a JSON dict")->required();
  create->add_option("--fields", args->fields, "comma-separated fields to return");

  CLI::App* update =
      addMethod(*sg, cl, args, "update", "update an entity", [](shotgrid::Client& c, const SgArgs& a) {
        const Json modes = a.modesJson ? parseJsonArg(*a.modesJson, "--modes") : Json();
        return c.update(a.entityType, a.id, parseJsonArg(a.dataJson, "DATA_JSON"), modes);
      });
  update->add_option("type", args->entityType, "entity type")->required();
  update->add_option("id", args->id, "entity id")->required();
  update->add_option("data", args->dataJson, "field values as a JSON dict")->required();
  update->add_option("--modes", args->modesJson, "JSON dict {field: set|add|remove} for multi-entity fields");

  for (const bool revive : {false, true}) {
    CLI::App* sub = addMethod(
        *sg, cl, args, revive ? "revive" : "delete", revive ? "revive a retired entity" : "retire an entity",
        [revive](shotgrid::Client& c, const SgArgs& a) {
          return fromBool(revive ? c.revive(a.entityType, a.id) : c.remove(a.entityType, a.id));
        });
    sub->add_option("type", args->entityType, "entity type")->required();
    sub->add_option("id", args->id, "entity id")->required();
  }

  CLI::App* batch = addMethod(*sg, cl, args, "batch", "several writes in one transaction",
                              [](shotgrid::Client& c, const SgArgs& a) {
                                return c.batch(parseJsonArg(a.requestsJson, "REQUESTS_JSON"));
                              });
  batch
      ->add_option("requests", args->requestsJson,
                   "JSON list of {request_type, entity_type, entity_id?, data?} requests")
      ->required();

  CLI::App* summarize =
      addMethod(*sg, cl, args, "summarize", "aggregate values over matching entities",
                [](shotgrid::Client& c, const SgArgs& a) {
                  const Json grouping = a.groupingJson ? parseJsonArg(*a.groupingJson, "--grouping") : Json();
                  return c.summarize(a.entityType, parseJsonArg(a.filtersJson, "FILTERS_JSON"),
                                     parseJsonArg(a.summariesJson, "SUMMARIES_JSON"), grouping);
                });
  summarize->add_option("type", args->entityType, "entity type")->required();
  summarize->add_option("filters", args->filtersJson, "filters as JSON")->required();
  summarize->add_option("summaries", args->summariesJson, "JSON list of {field, type}")->required();
  summarize->add_option("--grouping", args->groupingJson, "JSON list of {field, type, direction}");

  addMethod(*sg, cl, args, "schema-read", "schema of every entity type",
            [](shotgrid::Client& c, const SgArgs&) { return c.schemaRead(); });
  addMethod(*sg, cl, args, "schema-entity-read", "entity types",
            [](shotgrid::Client& c, const SgArgs&) { return c.schemaEntityRead(); });
  CLI::App* fieldRead = addMethod(
      *sg, cl, args, "schema-field-read", "fields of one entity type",
      [](shotgrid::Client& c, const SgArgs& a) { return c.schemaFieldRead(a.entityType, a.fieldName); });
  fieldRead->add_option("type", args->entityType, "entity type")->required();
  fieldRead->add_option("field", args->fieldName, "one field");
}

}  // namespace sgeventd::app
