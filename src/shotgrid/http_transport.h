#pragma once
// One libcurl easy handle that POSTs JSON bodies to a fixed URL; the connection is kept alive between calls.
// Used by one thread at a time (see Client).
#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/expected.h"

namespace sgeventd::shotgrid {

// A received body keeps at least this many bytes of spare capacity past its end: the event path's
// parser (simdjson, event_page.cpp) reads up to that far ahead, and so needs no copy of the page.
inline constexpr std::size_t kBodyPadding = 64;

struct HttpResponse {
  long status = 0;
  std::string reason;  // from the status line, may be empty
  std::string body;    // as HttpTransport::post received it: with kBodyPadding spare capacity
  std::optional<std::chrono::seconds> retryAfter;  // Retry-After in seconds, when the server sent one
};

struct TransportFailure {
  CURLcode code = CURLE_OK;
  std::string message;  // curl's detail text

  // True when curl proves the request never left this machine, so even a write may be sent again.
  bool neverConnected() const;
};

struct TransportOptions {
  std::string url;
  std::optional<std::string> proxy;
  std::optional<std::string> caPath;  // a file (bundle) or a directory (hashed certificates)
  bool verifyTls = true;
  std::chrono::milliseconds connectTimeout{10000};
  std::chrono::milliseconds totalTimeout{60000};
  bool acceptCompression = true;
  std::string userAgent = "sgeventd/0.1";
  // Polled while a request is in flight (at least once a second, even when the server sends nothing): true
  // ends it at once with CURLE_ABORTED_BY_CALLBACK, so a stop never waits for a silent server's timeout.
  std::function<bool()> cancelled;
};

class HttpTransport {
 public:
  explicit HttpTransport(TransportOptions options);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  Expected<HttpResponse, TransportFailure> post(const std::string& body);

 private:
  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  void configure();

  TransportOptions options_;
  std::unique_ptr<CURL, CurlDeleter> handle_;
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
  char errorBuffer_[CURL_ERROR_SIZE] = {};
};

}  // namespace sgeventd::shotgrid
