#pragma once
// Helpers of the legacy tests: a temporary folder, the Python pickle writer, files as bytes.
#include <gtest/gtest.h>
#include "../support/temp_dir.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace sgeventd::legacy::legacytest {

using TempDir = ::sgeventd::testing::TempDir;

inline std::string shellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

struct PipeCloser {
  void operator()(FILE* pipe) const { ::pclose(pipe); }
};

// Runs tests/legacy/write_pickle.py with /usr/bin/python3; returns its stdout. Fails the test on error.
inline std::string writePickle(const std::vector<std::string>& args) {
  std::string command =
      "/usr/bin/python3 " + shellQuote(std::string(SGEVENTD_SOURCE_DIR) + "/tests/legacy/write_pickle.py");
  for (const auto& arg : args) {
    command += " " + shellQuote(arg);
  }
  std::unique_ptr<FILE, PipeCloser> pipe(::popen(command.c_str(), "r"));
  if (!pipe) {
    ADD_FAILURE() << "cannot run " << command;
    return {};
  }
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) {
    out.append(buffer, n);
  }
  const int status = ::pclose(pipe.release());
  EXPECT_EQ(status, 0) << command;
  return out;
}

inline std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Writes `fileName` in `dir` with the Python scenario (and its arguments); returns the file's path.
inline std::string pythonPickle(const TempDir& dir, const std::string& fileName, const std::string& scenario,
                                const std::vector<std::string>& extra = {}) {
  const auto path = dir.file(fileName);
  std::vector<std::string> args{scenario, path};
  args.insert(args.end(), extra.begin(), extra.end());
  writePickle(args);
  return path;
}

// The opcode names pickletools sees in a file, one "NAME arg" per line.
inline std::string opcodeListing(const std::string& path) { return writePickle({"dis", path}); }

}  // namespace sgeventd::legacy::legacytest
