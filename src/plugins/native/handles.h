#pragma once
// The daemon-side definitions of the opaque handles declared in include/sgeventd/plugin.h. They live in
// the global namespace because the C header declares them there.
#include <sgeventd/plugin.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/event.h"
#include "core/log.h"

namespace sgeventd::shotgrid {
class Client;
}

// One invocation of one callback: plugins see it as `const sgeventd_event*`, so the error slot is mutable.
struct sgeventd_event {
  const sgeventd::core::Event* event = nullptr;
  const std::string* argsJson = nullptr;
  mutable std::string error;
  mutable bool errorSet = false;
};

struct sgeventd_logger {
  sgeventd::core::LoggerPtr logger;
};

// The callback's own connection. `result` and `error` back the strings handed to the plugin by call().
struct sgeventd_connection {
  sgeventd_connection();
  ~sgeventd_connection();
  sgeventd_connection(const sgeventd_connection&) = delete;
  sgeventd_connection& operator=(const sgeventd_connection&) = delete;

  std::unique_ptr<sgeventd::shotgrid::Client> client;  // null when the host has no ClientFactory
  std::string result;
  std::string error;
  // The API version the plugin was built for: SGEVENTD_RETRY is only reported to version 2 and later.
  std::uint32_t apiVersion = SGEVENTD_PLUGIN_API_VERSION;
};

namespace sgeventd::plugins::native {

// The static function table handed to every plugin.
const sgeventd_host_api* hostApi();

// Whether an api3 method only reads, so the client may retry it.
bool isIdempotentMethod(const std::string& method);

}  // namespace sgeventd::plugins::native
