#include "http/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>

namespace sgeventd::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// q=0 (or 0.0, 0.00...) refuses a coding; any other weight admits it.
bool refused(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    const auto param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      const auto weight = param.substr(2);
      return !weight.empty() && weight.find_first_not_of("0.") == std::string_view::npos;
    }
  }
  return false;
}

}  // namespace

bool acceptsGzip(std::string_view acceptEncoding) {
  std::optional<bool> wildcard;
  while (!acceptEncoding.empty()) {
    const auto comma = acceptEncoding.find(',');
    const auto item = acceptEncoding.substr(0, comma);
    acceptEncoding = comma == std::string_view::npos ? std::string_view{} : acceptEncoding.substr(comma + 1);
    const auto semi = item.find(';');
    const auto coding = trim(item.substr(0, semi));
    const auto params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
    if (equalsIgnoreCase(coding, "gzip") || equalsIgnoreCase(coding, "x-gzip")) {
      return !refused(params);
    }
    if (coding == "*") {
      wildcard = !refused(params);
    }
  }
  return wildcard.value_or(false);
}

std::optional<std::string> gzipCompress(std::string_view data, int level) {
  z_stream z{};
  // windowBits 15 + 16 asks zlib for the gzip wrapper instead of the zlib one.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const auto written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

}  // namespace sgeventd::http
