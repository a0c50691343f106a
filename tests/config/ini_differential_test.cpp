// Differential test: every file of tests/config/corpus goes through our IniFile and through Python's
// configparser (configparser_oracle.py); sections, interpolated values and error classes must agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config/ini_file.h"

namespace sgeventd::config {
namespace {

namespace fs = std::filesystem;

const Environment kEnv = {{"SGTEST_SITE", "https://example.shotgrid.autodesk.com"},
                          {"SGTEST_NAME", "Script Name"}};

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

nlohmann::json runPython(const fs::path& file) {
  const std::string oracle = std::string(SGEVENTD_SOURCE_DIR) + "/tests/config/configparser_oracle.py";
  const std::string command = "/usr/bin/python3 " + shellQuote(oracle) + " " + shellQuote(file.string()) +
                              " " + shellQuote(nlohmann::json(kEnv).dump());
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) {
    return {{"error", "popen failed"}};
  }
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) {
    output.append(buffer.data(), n);
  }
  return nlohmann::json::parse(output, nullptr, false);
}

// The exception Python raises first: duplicates and a missing header stop its reader at once; other
// syntax errors are gathered into one ParsingError at the end.
std::string pythonErrorOf(const std::vector<IniError>& errors) {
  for (const auto& e : errors) {
    if (e.kind != IniErrorKind::Parsing) {
      return std::string(pythonErrorName(e.kind));
    }
  }
  return "ParsingError";
}

nlohmann::json runOurs(const fs::path& file) {
  auto ini = IniFile::read(file.string(), kEnv);
  if (!ini) {
    return {{"error", pythonErrorOf(ini.error())}};
  }
  auto read = [&](const std::string& section, const std::vector<std::string>& keys) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& key : keys) {
      auto value = ini->get(section, key);
      out[key] =
          value ? nlohmann::json(*value) : nlohmann::json{{"error", pythonErrorName(value.error().kind)}};
    }
    return out;
  };
  nlohmann::json values;
  values["DEFAULT"] = read("DEFAULT", ini->ownOptions("DEFAULT"));
  for (const auto& section : ini->sections()) {
    values[section] = read(section, ini->options(section));
  }
  return {{"sections", ini->sections()}, {"values", values}};
}

std::vector<fs::path> corpus() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(SGEVENTD_SOURCE_DIR) / "tests/config/corpus")) {
    if (entry.path().extension() == ".ini") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(IniDifferential, CorpusIsLargeEnough) { EXPECT_GE(corpus().size(), 25U); }

TEST(IniDifferential, AgreesWithPythonConfigParser) {
  int errorsSeen = 0;
  for (const auto& file : corpus()) {
    SCOPED_TRACE(file.filename().string());
    const nlohmann::json python = runPython(file);
    ASSERT_FALSE(python.is_discarded()) << "the oracle printed no JSON";
    const nlohmann::json ours = runOurs(file);
    EXPECT_EQ(ours, python) << "ours:   " << ours.dump() << "\npython: " << python.dump();
    errorsSeen += python.contains("error") ? 1 : 0;
  }
  EXPECT_GE(errorsSeen, 5) << "the corpus should exercise the reader's errors too";
}

}  // namespace
}  // namespace sgeventd::config
