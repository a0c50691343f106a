#include <string>

#include "shotgrid/client_error.h"

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

bool ClientError::transient() const {
  switch (kind) {
    case ErrorKind::Timeout:
    case ErrorKind::Connection:
      return true;
    case ErrorKind::Protocol:
      return httpStatus == 429 || httpStatus >= 500;
    default:
      return false;
  }
}

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Authentication:
      return "authentication";
    case ErrorKind::Fault:
      return "fault";
    case ErrorKind::Protocol:
      return "protocol";
    case ErrorKind::Timeout:
      return "timeout";
    case ErrorKind::Connection:
      return "connection";
    case ErrorKind::Malformed:
      return "malformed";
    case ErrorKind::InvalidArgument:
      return "invalid_argument";
  }
  return "fault";
}

}  // namespace sgeventd::shotgrid
