#pragma once
// The one spelling of a plugin folder (a `paths` entry of [plugins]) used as a state key. The original
// keys its state by the entry exactly as written, so "/a/plugins/" and "/a/plugins" were two positions
// for the same plugins; sgeventd drops trailing slashes so both key the same state. Anything that maps
// state to a collection (the config, the legacy importer) goes through this function.
#include <string>
#include <string_view>

namespace sgeventd::core {

// "/a/plugins///" -> "/a/plugins"; "/" and "" stay as they are.
inline std::string normalisePluginPath(std::string_view entry) {
  while (entry.size() > 1 && entry.back() == '/') {
    entry.remove_suffix(1);
  }
  return std::string(entry);
}

}  // namespace sgeventd::core
