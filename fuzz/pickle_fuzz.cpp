// The restricted pickle reader the eventIdFile import goes through: any bytes, under the default limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "legacy/pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)sgeventd::legacy::pickle::load(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
