#include "shotgrid/response.h"

#include <gtest/gtest.h>

namespace sgeventd::shotgrid {
namespace {

HttpResponse reply(long status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(DecodeResponse, ResultsAreReturned) {
  auto r = decodeResponse(reply(200, R"({"results": {"id": 1}})"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(takeResults(std::move(*r)), (Json{{"id", 1}}));
  // A body without "results" is returned as-is (PA does this, info may come bare).
  EXPECT_EQ(takeResults(Json{{"version", {8, 50, 0}}}), (Json{{"version", {8, 50, 0}}}));
}

TEST(DecodeResponse, Api3ExceptionsAreTyped) {
  auto auth = decodeResponse(
      reply(200, R"({"exception": true, "error_code": 102, "message": "Can't authenticate"})"));
  ASSERT_FALSE(auth.has_value());
  EXPECT_EQ(auth.error().kind, ErrorKind::Authentication);
  EXPECT_EQ(auth.error().faultCode, 102);

  auto fault =
      decodeResponse(reply(200, R"({"exception": true, "error_code": 104, "message": "CRUD ERROR #51"})"));
  ASSERT_FALSE(fault.has_value());
  EXPECT_EQ(fault.error().kind, ErrorKind::Fault);
  EXPECT_EQ(fault.error().faultCode, 104);
  EXPECT_EQ(fault.error().describe(), "Fault 104: CRUD ERROR #51");

  auto noCode = decodeResponse(reply(200, R"({"exception": true, "error_code": "x", "message": 5})"));
  ASSERT_FALSE(noCode.has_value());
  EXPECT_EQ(noCode.error().kind, ErrorKind::Fault);
  EXPECT_EQ(noCode.error().faultCode, 0);

  EXPECT_TRUE(decodeResponse(reply(200, R"({"exception": false, "results": 1})")).has_value());
}

TEST(DecodeResponse, HttpStatusesAreProtocolErrors) {
  HttpResponse busy = reply(503, "<html>down</html>");
  auto r = decodeResponse(busy);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::Protocol);
  EXPECT_EQ(r.error().httpStatus, 503);
  EXPECT_EQ(r.error().message, kMaintenanceMessage);

  HttpResponse forbidden = reply(403, "API access blocked");
  forbidden.reason = "Forbidden";
  auto f = decodeResponse(forbidden);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().describe(), "HTTP 403: Forbidden: API access blocked");

  HttpResponse moved = reply(302, "");
  moved.reason = "Found";
  EXPECT_EQ(decodeResponse(moved).error().describe(), "HTTP 302: Found");
}

TEST(DecodeResponse, BrokenBodiesAreMalformed) {
  for (const char* body : {"", "not json", R"({"results": {"entities": [)", "<html></html>"}) {
    auto r = decodeResponse(reply(200, body));
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::Malformed) << body;
  }
}

TEST(ErrorFromTransport, CurlCodesAreClassified) {
  EXPECT_EQ(errorFromTransport({CURLE_OPERATION_TIMEDOUT, "t"}).kind, ErrorKind::Timeout);
  for (CURLcode c :
       {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_RECV_ERROR, CURLE_SEND_ERROR,
        CURLE_GOT_NOTHING, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_PARTIAL_FILE}) {
    EXPECT_EQ(errorFromTransport({c, "x"}).kind, ErrorKind::Connection) << c;
  }
  EXPECT_EQ(errorFromTransport({CURLE_URL_MALFORMAT, "x"}).kind, ErrorKind::InvalidArgument);
  EXPECT_TRUE((TransportFailure{CURLE_COULDNT_CONNECT, ""}.neverConnected()));
  EXPECT_TRUE((TransportFailure{CURLE_COULDNT_RESOLVE_HOST, ""}.neverConnected()));
  EXPECT_FALSE((TransportFailure{CURLE_RECV_ERROR, ""}.neverConnected()));
  EXPECT_FALSE((TransportFailure{CURLE_OPERATION_TIMEDOUT, ""}.neverConnected()));
}

TEST(RetryPolicyRules, ReadsRetryTransientFailuresOnly) {
  auto err = [](ErrorKind k, int status = 0) {
    ClientError e{k};
    e.httpStatus = status;
    return e;
  };
  for (const auto& e : {err(ErrorKind::Timeout), err(ErrorKind::Connection), err(ErrorKind::Malformed),
                        err(ErrorKind::Protocol, 429), err(ErrorKind::Protocol, 502),
                        err(ErrorKind::Protocol, 503), err(ErrorKind::Protocol, 504)}) {
    EXPECT_TRUE(isRetryable(e, true, false)) << e.describe();
    EXPECT_FALSE(isRetryable(e, false, false)) << e.describe();  // writes may have reached the server
  }
  for (const auto& e :
       {err(ErrorKind::Authentication), err(ErrorKind::Fault), err(ErrorKind::InvalidArgument),
        err(ErrorKind::Protocol, 500), err(ErrorKind::Protocol, 403), err(ErrorKind::Protocol, 404)}) {
    EXPECT_FALSE(isRetryable(e, true, false)) << e.describe();
  }
  EXPECT_TRUE(isRetryable(err(ErrorKind::Connection), false, true));  // never connected: a write is safe
}

TEST(Redact, SecretIsReplacedEverywhere) {
  EXPECT_EQ(redact("key=abc123 and abc123abc123", "abc123"), "key=*** and ******");
  EXPECT_EQ(redact("nothing here", "abc123"), "nothing here");
  EXPECT_EQ(redact("text", ""), "text");
}

TEST(Describe, NamesTheKindAndAttempts) {
  ClientError e{ErrorKind::Timeout, "slow"};
  e.attempts = 3;
  EXPECT_EQ(e.describe(), "Timeout: slow (after 3 attempts)");
  EXPECT_EQ((ClientError{ErrorKind::Authentication, "bad"}.describe()), "Authentication failed: bad");
}

}  // namespace
}  // namespace sgeventd::shotgrid
