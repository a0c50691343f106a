#include <string>

#include "shotgrid/client.h"

namespace sgeventd::shotgrid {

std::string ClientError::describe() const {
  std::string out;
  switch (kind) {
    case ErrorKind::Authentication:
      out = "Authentication failed: " + message;
      break;
    case ErrorKind::Fault:
      out = "Fault " + std::to_string(faultCode) + ": " + message;
      break;
    case ErrorKind::Protocol:
      out = "HTTP " + std::to_string(httpStatus) + ": " + message;
      break;
    case ErrorKind::Timeout:
      out = "Timeout: " + message;
      break;
    case ErrorKind::Connection:
      out = "Connection failed: " + message;
      break;
    case ErrorKind::Malformed:
      out = "Malformed response: " + message;
      break;
    case ErrorKind::InvalidArgument:
      out = "Invalid argument: " + message;
      break;
  }
  if (attempts > 1) {
    out += " (after " + std::to_string(attempts) + " attempts)";
  }
  return out;
}

}  // namespace sgeventd::shotgrid
