#pragma once
// The records of the failures stream (`<stream>_FAILURES`, subjects sgfailures.<site>.<plugin>) that the
// workers write when a plugin gives up on an event, read for `sgeventd failures` and the admin API in
// broker mode. Read straight from the servers, newest first, so any host with the config can list them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker/connection.h"
#include "broker/failures.h"

namespace sgeventd::broker {

// The newest `limit` records (of one plugin when given): each the record the worker wrote, with its
// stream sequence as "id" and the time the stream stored it as "at". An empty list when the failures
// stream does not exist yet (no worker has given up on anything).
Expected<std::vector<nlohmann::json>> readFailures(const Connection& connection, const std::string& stream,
                                                   const std::optional<std::string>& plugin, int limit);
// One record by its sequence; nullopt when there is none.
Expected<std::optional<nlohmann::json>> readFailure(const Connection& connection, const std::string& stream,
                                                    std::uint64_t sequence);

}  // namespace sgeventd::broker
