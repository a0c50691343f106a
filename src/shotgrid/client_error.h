#pragma once
// The typed failure of every api3 call, shared by the client and the EventReader interface.
#include <string>
#include <string_view>

#include "core/expected.h"

namespace sgeventd::shotgrid {

enum class ErrorKind {
  Authentication,  // api3 error_code 102
  Fault,           // any other api3 exception; `faultCode` and the server's message are kept
  Protocol,        // HTTP status >= 300; `httpStatus` is set
  Timeout,
  Connection,       // refused, reset, DNS, TLS
  Malformed,        // not JSON, truncated JSON, or JSON of the wrong shape
  InvalidArgument,  // caught on our side before sending
};

struct ClientError {
  ErrorKind kind = ErrorKind::Fault;
  std::string message;           // never contains the script key
  int faultCode = 0;             // ErrorKind::Fault / Authentication
  int httpStatus = 0;            // ErrorKind::Protocol
  int attempts = 1;              // how many requests were sent
  std::string describe() const;  // "Fault 104: API update() CRUD ERROR ..." for log lines
  // A failure worth trying again later: the connection or a timeout, HTTP 429 or 5xx. The same request
  // may well succeed in a minute; anything else would fail the same way again.
  bool transient() const;
};

template <class T>
using Result = Expected<T, ClientError>;

// "authentication", "fault", "protocol", "timeout", "connection", "malformed", "invalid_argument": a metric
// label, and the `kind` a Python plugin sees on the sg binding's errors.
std::string_view errorKindName(ErrorKind kind);

}  // namespace sgeventd::shotgrid
