// The ConfigParser-compatible INI reader: parse any text, then read every key through every getter
// (interpolation included), as the config loader does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/ini_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using sgeventd::config::IniFile;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ini = IniFile::parse(text, "fuzz.ini");
  if (!ini) {
    return 0;
  }
  auto sections = ini->sections();
  sections.emplace_back(IniFile::kDefaultSection);
  for (const auto& section : sections) {
    for (const auto& key : ini->options(section)) {
      (void)ini->get(section, key);
      (void)ini->getInt(section, key);
      (void)ini->getFloat(section, key);
      (void)ini->getBool(section, key);
      (void)ini->lineOf(section, key);
    }
  }
  return 0;
}
