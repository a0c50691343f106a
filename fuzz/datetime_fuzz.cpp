// Date-time text from the wire: parsing never overflows, and whatever a TimePoint takes prints and reads
// back as the same second.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shotgrid/datetime.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sgeventd::shotgrid;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)isApi3DateTime(text);
  const auto wire = parseWireDateTime(text);
  const auto read = readDateTime(text);
  if (read.has_value() != (wire && toTimePoint(*wire))) {
    std::abort();  // readDateTime must be parseWireDateTime then toTimePoint
  }
  if (read) {
    const auto again = parseDateTime(formatDateTime(*read));
    if (!again || *again != std::chrono::floor<std::chrono::seconds>(*read)) {
      std::abort();
    }
    (void)formatDate(*read);
  }
  return 0;
}
