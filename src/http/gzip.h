#pragma once
// gzip for replies, done here rather than by cpp-httplib, which compresses only a few bare content types
// and prefers brotli (hundreds of milliseconds per page at its default quality) whenever a client lists it.
#include <optional>
#include <string>
#include <string_view>

namespace sgeventd::http {

// True when an Accept-Encoding value admits gzip: listed (or `*`) without q=0.
bool acceptsGzip(std::string_view acceptEncoding);

// The gzip member for `data` at `level` (1, nginx's default, is the fastest); nullopt if zlib fails.
std::optional<std::string> gzipCompress(std::string_view data, int level = 1);

}  // namespace sgeventd::http
