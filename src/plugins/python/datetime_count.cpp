#include "plugins/python/datetime_count.h"

namespace sgeventd::plugins::python {

int countApi3DateTimes(std::string_view text) {
  if (text.find("\\u") != std::string_view::npos) {
    return -1;
  }
  // "YYYY-MM-DDTHH:MM:SSZ" with its quotes: 22 characters, 'T' at offset 11 from the opening quote.
  constexpr std::string_view kShape = "\"0000-00-00T00:00:00Z\"";
  auto matches = [&](std::size_t at) {
    for (std::size_t i = 0; i < kShape.size(); ++i) {
      const char c = text[at + i];
      if (kShape[i] == '0' ? (c < '0' || c > '9') : c != kShape[i]) {
        return false;
      }
    }
    return true;
  };
  int count = 0;
  for (auto at = text.find('"'); at != std::string_view::npos && at + kShape.size() <= text.size();
       at = text.find('"', at + 1)) {
    if (matches(at)) {
      ++count;
      at += kShape.size() - 1;  // its closing quote opens nothing
    }
  }
  return count;
}

}  // namespace sgeventd::plugins::python
