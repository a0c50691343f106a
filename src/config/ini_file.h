#pragma once
// A reader with the semantics of Python 3.11 `configparser.ConfigParser()` (BasicInterpolation, default
// options, strict=True, allow_no_value=False), because shotgunEventDaemon.conf files are written for it.
// Deliberate difference: the environment is an interpolation source only (after the section and
// [DEFAULT]); it never shows up as an option. See docs/configuration.md.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_types.h"
#include "core/expected.h"

namespace sgeventd::config {

// The Python exception each error corresponds to; the differential tests compare these.
enum class IniErrorKind {
  MissingSectionHeader,
  Parsing,
  DuplicateSection,
  DuplicateOption,
  NoSection,
  NoOption,
  InterpolationMissingOption,
  InterpolationSyntax,
  InterpolationDepth,
  Value,  // a typed getter rejected the text
};

std::string_view pythonErrorName(IniErrorKind kind);  // "DuplicateOptionError", ...

struct IniError {
  IniErrorKind kind;
  ConfigError error;
};

struct IniValue {
  std::string raw;  // continuation lines joined with '\n', not interpolated
  int line = 0;     // the line of the key
};

class IniFile {
 public:
  static constexpr std::string_view kDefaultSection = "DEFAULT";
  static constexpr int kMaxInterpolationDepth = 10;
  // read() refuses a bigger file before parsing: real configs are a few KiB, and parsing a 150 MB one
  // took 18 s and 1.86 GB.
  static constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;

  // `fileName` is what error messages call the file. Every syntax error is returned, in line order.
  static Expected<IniFile, std::vector<IniError>> parse(std::string_view text, std::string fileName,
                                                        Environment env = {});
  static Expected<IniFile, std::vector<IniError>> read(const std::string& path, Environment env = {});

  const std::string& fileName() const { return fileName_; }

  std::vector<std::string> sections() const { return sectionOrder_; }  // file order, without DEFAULT
  bool hasSection(std::string_view section) const;
  // The section's own keys and [DEFAULT]'s; never the environment. Key names are case-insensitive.
  bool hasOption(std::string_view section, std::string_view key) const;
  // Own keys in file order, then [DEFAULT] keys the section does not override (Python's options()).
  std::vector<std::string> options(std::string_view section) const;
  std::vector<std::string> ownOptions(std::string_view section) const;
  const IniValue* raw(std::string_view section, std::string_view key) const;
  int lineOf(std::string_view section, std::string_view key) const;  // 0 when absent

  // Interpolated value (`%(name)s`: section, then [DEFAULT], then the environment; `%%` is `%`).
  Expected<std::string, IniError> get(std::string_view section, std::string_view key) const;
  // Python's int() / float() / getboolean() rules on the interpolated value.
  Expected<std::int64_t, IniError> getInt(std::string_view section, std::string_view key) const;
  Expected<double, IniError> getFloat(std::string_view section, std::string_view key) const;
  Expected<bool, IniError> getBool(std::string_view section, std::string_view key) const;

  // The error a typed getter would report for `key` in `section`, for callers with their own checks.
  IniError valueError(std::string_view section, std::string_view key, std::string message) const;

 private:
  struct Section {
    std::vector<std::string> order;
    std::map<std::string, IniValue, std::less<>> values;
  };

  IniFile() = default;
  const Section* findSection(std::string_view section) const;
  const std::string* lookupReference(const Section* section, const std::string& writtenName) const;
  std::optional<IniError> interpolate(const Section* section, std::string_view key, int line,
                                      std::string_view rest, int depth, std::string& out) const;

  std::string fileName_;
  Environment env_;
  Section defaults_;
  std::map<std::string, Section, std::less<>> sections_;
  std::vector<std::string> sectionOrder_;
};

}  // namespace sgeventd::config
