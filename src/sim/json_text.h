#pragma once
// Writing JSON text directly, for the event log's hot read path (no nlohmann object per row).
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace sgeventd::sim {

inline void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

inline void appendInt(std::string& out, std::int64_t v) { out += std::to_string(v); }

}  // namespace sgeventd::sim
