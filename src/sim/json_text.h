#pragma once
// Writing JSON text directly, for the event log's hot read path (no nlohmann object per row).
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace sgeventd::sim {

inline bool needsJsonEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

inline void appendJsonEscape(std::string& out, unsigned char c) {
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
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    }
  }
}

// Runs of characters that need no escape go in with one append: a page holds thousands of strings and a
// character-by-character push_back was the largest cost of serving it.
inline void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (needsJsonEscape(c)) {
      out.append(s.data() + run, i - run);
      appendJsonEscape(out, c);
      run = i + 1;
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

inline void appendInt(std::string& out, std::int64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

}  // namespace sgeventd::sim
