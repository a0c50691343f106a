#include "plugins/python/datetime_count.h"

namespace sgeventd::plugins::python {
namespace {

constexpr std::string_view kShape = "0000-00-00T00:00:00Z";  // '0': a digit

// The byte length of the UTF-8 sequence starting with `lead`; 1 for ASCII (and for a stray byte).
std::size_t sequenceLength(unsigned char lead) {
  if (lead >= 0xF0) {
    return 4;
  }
  if (lead >= 0xE0) {
    return 3;
  }
  return lead >= 0xC0 ? 2 : 1;
}

}  // namespace

DateTimeShape api3DateTimeShape(std::string_view value) {
  if (value.size() < kShape.size()) {
    return DateTimeShape::No;
  }
  bool beyondAscii = false;
  std::size_t at = 0;
  for (const char want : kShape) {
    if (at >= value.size()) {
      return DateTimeShape::No;
    }
    const auto c = static_cast<unsigned char>(value[at]);
    if (c >= 0x80) {
      if (want != '0') {
        return DateTimeShape::No;
      }
      beyondAscii = true;  // maybe a digit of another script, which Python's \d takes
      at += sequenceLength(c);
      continue;
    }
    if (want == '0' ? (c < '0' || c > '9') : c != static_cast<unsigned char>(want)) {
      return DateTimeShape::No;
    }
    ++at;
  }
  if (at != value.size()) {
    return DateTimeShape::No;
  }
  return beyondAscii ? DateTimeShape::Maybe : DateTimeShape::Yes;
}

int countApi3DateTimes(std::string_view text) {
  if (text.find("\\u") != std::string_view::npos) {
    return -1;
  }
  // Every quote is looked at as if it opened a literal, so no literal is skipped; a literal with another
  // escape (\" \\ \/ \b \f \n \r \t) holds a character no date-time has, so it is none.
  int count = 0;
  for (auto open = text.find('"'); open != std::string_view::npos; open = text.find('"', open + 1)) {
    const auto close = text.find_first_of("\"\\", open + 1);
    if (close == std::string_view::npos) {
      break;
    }
    if (text[close] == '"' &&
        api3DateTimeShape(text.substr(open + 1, close - open - 1)) != DateTimeShape::No) {
      ++count;
      open = close;  // its closing quote opens nothing
    }
  }
  return count;
}

}  // namespace sgeventd::plugins::python
