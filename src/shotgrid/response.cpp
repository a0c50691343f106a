#include "shotgrid/response.h"

#include <algorithm>

namespace sgeventd::shotgrid {
namespace {

constexpr std::size_t kBodyExcerpt = 200;

std::string excerpt(const std::string& body) {
  std::string out = body.substr(0, kBodyExcerpt);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (body.size() > kBodyExcerpt) {
    out += "...";
  }
  return out;
}

tl::unexpected<ClientError> malformed(std::string message) {
  return tl::unexpected(ClientError{ErrorKind::Malformed, std::move(message)});
}

}  // namespace

std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) {
    return text;
  }
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
    text.replace(pos, secret.size(), "***");
  }
  return text;
}

ClientError errorFromTransport(const TransportFailure& failure) {
  ClientError error;
  switch (failure.code) {
    case CURLE_OPERATION_TIMEDOUT:
      error.kind = ErrorKind::Timeout;
      break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      error.kind = ErrorKind::InvalidArgument;
      break;
    default:
      error.kind = ErrorKind::Connection;
      break;
  }
  error.message = failure.message + " (curl " + std::to_string(static_cast<int>(failure.code)) + ")";
  return error;
}

namespace {

template <class J>
Result<J> decodeAs(const HttpResponse& response) {
  if (response.status >= 300 || response.status < 100) {
    ClientError error{ErrorKind::Protocol};
    error.httpStatus = static_cast<int>(response.status);
    if (response.status == 503) {
      error.message = kMaintenanceMessage;
    } else {
      error.message = response.reason.empty() ? "HTTP error" : response.reason;
      if (response.status == 403 && !response.body.empty()) {
        error.message += ": " + excerpt(response.body);
      }
    }
    return tl::unexpected(std::move(error));
  }
  J body = J::parse(response.body, nullptr, false);
  if (body.is_discarded()) {
    return malformed("response is not valid JSON (" + std::to_string(response.body.size()) +
                     " bytes): " + excerpt(response.body));
  }
  if (body.is_object()) {
    const auto exception = body.find("exception");
    if (exception != body.end() && exception->is_boolean() && exception->template get<bool>()) {
      ClientError error;
      const auto code = body.find("error_code");
      if (code != body.end() && code->is_number_integer()) {
        error.faultCode = code->template get<int>();
      }
      const auto message = body.find("message");
      if (message != body.end() && message->is_string()) {
        error.message = message->template get<std::string>();
      } else {
        error.message = "api3 exception without a message";
      }
      error.kind = error.faultCode == 102 ? ErrorKind::Authentication : ErrorKind::Fault;
      return tl::unexpected(std::move(error));
    }
  }
  return body;
}

template <class J>
J takeResultsOf(J&& body) {
  if (body.is_object()) {
    const auto it = body.find("results");
    if (it != body.end()) {
      return std::move(*it);
    }
  }
  return std::move(body);
}

template <class J>
Result<J> entitiesOfResults(J&& results) {
  if (!results.is_object()) {
    return malformed("read results is not an object");
  }
  const auto it = results.find("entities");
  if (it == results.end() || !it->is_array()) {
    return malformed("read results without an 'entities' list");
  }
  return std::move(*it);
}

}  // namespace

Result<Json> decodeResponse(const HttpResponse& response) { return decodeAs<Json>(response); }

Result<nlohmann::ordered_json> decodeOrderedResponse(const HttpResponse& response) {
  return decodeAs<nlohmann::ordered_json>(response);
}

Json takeResults(Json&& body) { return takeResultsOf(std::move(body)); }

nlohmann::ordered_json takeResults(nlohmann::ordered_json&& body) { return takeResultsOf(std::move(body)); }

Result<Json> entitiesOf(Json&& results) { return entitiesOfResults(std::move(results)); }

Result<nlohmann::ordered_json> entitiesOf(nlohmann::ordered_json&& results) {
  return entitiesOfResults(std::move(results));
}

bool isRetryable(const ClientError& error, bool idempotent, bool neverConnected) {
  if (neverConnected) {
    return true;  // nothing reached the server: safe for reads and writes alike
  }
  if (!idempotent) {
    return false;
  }
  switch (error.kind) {
    case ErrorKind::Timeout:
    case ErrorKind::Connection:
    case ErrorKind::Malformed:
      return true;
    case ErrorKind::Protocol:
      return error.httpStatus == 429 || error.httpStatus == 502 || error.httpStatus == 503 ||
             error.httpStatus == 504;
    default:
      return false;
  }
}

}  // namespace sgeventd::shotgrid
