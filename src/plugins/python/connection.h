#pragma once
// _sgeventd.Connection: one shotgrid::Client as the Python facade (sgeventd_shotgun.Shotgun) uses it.
// Arguments and results cross as JSON text; the Python side does shotgun_api3's value conversions.
#include <memory>
#include <mutex>
#include <string>

#include "plugins/python/interpreter.h"
#include "shotgrid/client.h"

namespace sgeventd::plugins::python {

class Connection {
 public:
  explicit Connection(std::unique_ptr<shotgrid::Client> client);

  // (None, result JSON text) or ((kind, message, fault code, http status), None). Releases the GIL
  // while the request is on the network.
  py::tuple request(const std::string& operation, const std::string& argumentsJson);
  void setSessionUuid(py::object uuid);
  py::object sessionUuid() const;
  std::string server() const;
  std::string scriptName() const;
  py::object httpProxy() const;

 private:
  std::unique_ptr<shotgrid::Client> client_;
  mutable std::mutex mutex_;  // one request at a time per client; never held while taking the GIL
};

// The api3 call `operation` ("find", "update", ...) with arguments as the facade sends them.
shotgrid::Result<shotgrid::Json> dispatchRequest(shotgrid::Client& client, const std::string& operation,
                                                 const shotgrid::Json& arguments);

}  // namespace sgeventd::plugins::python
