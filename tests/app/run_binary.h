#pragma once
// Runs the built sgeventd binary with a shell command line's arguments; stdout and stderr together.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace sgeventd::app::testing {

struct BinaryRun {
  int exitCode;
  std::string output;
};

inline BinaryRun runBinary(const std::string& args) {
  const std::string command = std::string(SGEVENTD_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  BinaryRun run{-1, ""};
  if (pipe == nullptr) {
    return run;
  }
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    run.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace sgeventd::app::testing
