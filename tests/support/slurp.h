#pragma once
// A whole file as text ("" when it cannot be read): the logs and outputs process tests look into.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sgeventd::testing {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sgeventd::testing
