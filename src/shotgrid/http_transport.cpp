#include "shotgrid/http_transport.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <string_view>

namespace sgeventd::shotgrid {
namespace {

// curl hands over the body as it decodes it (after gzip, when the server compressed it), so the padding
// is kept here, growing the buffer geometrically as append would.
size_t appendBody(char* data, size_t size, size_t count, void* user) {
  std::string& body = static_cast<HttpResponse*>(user)->body;
  const std::size_t length = size * count;
  const std::size_t needed = body.size() + length + kBodyPadding;
  if (body.capacity() < needed) {
    body.reserve(std::max(needed, 2 * body.capacity()));
  }
  body.append(data, length);
  return length;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// Sees every header line, including the status line of each response (a 100 or a proxy's CONNECT reply
// comes first, so a new status line starts over).
size_t readHeader(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<HttpResponse*>(user);
  const std::string_view line = trim(std::string_view(data, size * count));
  if (startsWithNoCase(line, "HTTP/")) {
    out->reason.clear();
    out->retryAfter.reset();
    const auto firstSpace = line.find(' ');
    if (firstSpace != std::string_view::npos) {
      const auto secondSpace = line.find(' ', firstSpace + 1);
      if (secondSpace != std::string_view::npos) {
        out->reason = std::string(trim(line.substr(secondSpace + 1)));
      }
    }
  } else if (startsWithNoCase(line, "retry-after:")) {
    const std::string_view value = trim(line.substr(12));
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    // The HTTP-date form is ignored: our own backoff applies instead.
    if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0) {
      out->retryAfter = std::chrono::seconds(seconds);
    }
  }
  return size * count;
}

int checkCancelled(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancelled = static_cast<const std::function<bool()>*>(user);
  return (*cancelled)() ? 1 : 0;
}

}  // namespace

bool TransportFailure::neverConnected() const {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
         code == CURLE_COULDNT_RESOLVE_PROXY;
}

HttpTransport::HttpTransport(TransportOptions options)
    : options_(std::move(options)), handle_(curl_easy_init()) {
  configure();
}

HttpTransport::~HttpTransport() = default;

void HttpTransport::configure() {
  CURL* h = handle_.get();
  if (h == nullptr) {
    return;
  }
  curl_slist* list = nullptr;
  for (const char* header : {"Content-Type: application/json; charset=utf-8", "Connection: keep-alive",
                             "Accept: application/json", "Expect:"}) {
    curl_slist* next = curl_slist_append(list, header);
    if (next == nullptr) {
      break;
    }
    list = next;
  }
  headers_.reset(list);

  curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.userAgent.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errorBuffer_);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &appendBody);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &readHeader);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connectTimeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.totalTimeout.count()));
  // A stalled transfer (under 1 byte/s) is cut even when no total timeout is configured.
  const long stallSeconds = options_.totalTimeout.count() > 0
                                ? std::max<long>(1, static_cast<long>(options_.totalTimeout.count() / 1000))
                                : 120L;
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stallSeconds);
  if (options_.cancelled) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &checkCancelled);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &options_.cancelled);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  if (options_.acceptCompression) {
    // gzip only: offered brotli, a server may pick it, and brotli at its default quality costs hundreds
    // of milliseconds per 500-event page (measured against cpp-httplib: 600 ms against 2 ms for gzip).
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
  }
  if (options_.proxy && !options_.proxy->empty()) {
    curl_easy_setopt(h, CURLOPT_PROXY, options_.proxy->c_str());
  }
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verifyTls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verifyTls ? 2L : 0L);
  if (options_.caPath && !options_.caPath->empty()) {
    std::error_code ec;
    const bool isDirectory = std::filesystem::is_directory(*options_.caPath, ec);
    curl_easy_setopt(h, isDirectory ? CURLOPT_CAPATH : CURLOPT_CAINFO, options_.caPath->c_str());
  }
}

Expected<HttpResponse, TransportFailure> HttpTransport::post(const std::string& body) {
  CURL* h = handle_.get();
  if (h == nullptr) {
    return tl::unexpected(TransportFailure{CURLE_FAILED_INIT, "curl_easy_init failed"});
  }
  HttpResponse response;
  errorBuffer_[0] = '\0';
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
  const CURLcode code = curl_easy_perform(h);
  // The handle must not keep pointers into this frame.
  curl_easy_setopt(h, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, nullptr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return tl::unexpected(TransportFailure{code, "request abandoned: the daemon is stopping"});
  }
  if (code != CURLE_OK) {
    std::string detail = errorBuffer_[0] != '\0' ? std::string(errorBuffer_) : curl_easy_strerror(code);
    return tl::unexpected(TransportFailure{code, std::move(detail)});
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace sgeventd::shotgrid
