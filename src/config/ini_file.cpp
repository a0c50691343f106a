#include "config/ini_file.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "config/python_numbers.h"

namespace sgeventd::config {

namespace {

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string_view rstripPython(std::string_view s) {
  while (!s.empty() && isPythonSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// Python's universal newlines: "\r\n", "\r" and "\n" all end a line.
std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      lines.push_back(text.substr(start, i - start));
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
      start = i + 1;
    }
  }
  if (start < text.size()) {
    lines.push_back(text.substr(start));
  }
  return lines;
}

std::size_t indentOf(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && isPythonSpace(line[n])) {
    ++n;
  }
  return n;
}

std::string inQuotes(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

}  // namespace

std::string ConfigError::describe() const {
  std::string out = file;
  if (line > 0) {
    out += ':' + std::to_string(line);
  }
  out += ": ";
  if (!key.empty()) {
    out += key + ": ";
  }
  out += message;
  // A NUL byte would end the line at every C-string boundary (fprintf, a log sink) and other control
  // bytes garble a terminal: each is shown as \xNN, so the message stays whole and names the byte.
  std::string shown;
  shown.reserve(out.size());
  for (const char c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      shown += "\\x";
      shown += kHex[byte >> 4];
      shown += kHex[byte & 0xf];
    } else {
      shown += c;
    }
  }
  return shown;
}

std::string_view pythonErrorName(IniErrorKind kind) {
  switch (kind) {
    case IniErrorKind::MissingSectionHeader:
      return "MissingSectionHeaderError";
    case IniErrorKind::Parsing:
      return "ParsingError";
    case IniErrorKind::DuplicateSection:
      return "DuplicateSectionError";
    case IniErrorKind::DuplicateOption:
      return "DuplicateOptionError";
    case IniErrorKind::NoSection:
      return "NoSectionError";
    case IniErrorKind::NoOption:
      return "NoOptionError";
    case IniErrorKind::InterpolationMissingOption:
      return "InterpolationMissingOptionError";
    case IniErrorKind::InterpolationSyntax:
      return "InterpolationSyntaxError";
    case IniErrorKind::InterpolationDepth:
      return "InterpolationDepthError";
    case IniErrorKind::Value:
      return "ValueError";
  }
  return "Error";
}

Expected<IniFile, std::vector<IniError>> IniFile::read(const std::string& path, Environment env) {
  const auto failure = [&path](std::string message) {
    return unexpected(
        std::vector<IniError>{{IniErrorKind::Parsing, ConfigError{path, 0, "", std::move(message)}}});
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return failure("cannot be read (missing or not readable)");
  }
  // Read in chunks and stop one byte past the cap, so a file that grows while it is read (or a device
  // that never ends) is refused as well as a huge one, without ever holding more than the cap.
  std::string text;
  char chunk[65536];
  while (text.size() <= kMaxConfigBytes && in.read(chunk, sizeof chunk).gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) {
    return failure("cannot be read (I/O error)");
  }
  if (text.size() > kMaxConfigBytes) {
    return failure("is larger than " + std::to_string(kMaxConfigBytes / (1024 * 1024)) +
                   " MiB, the most a config file may be (refused before parsing)");
  }
  return parse(text, path, std::move(env));
}

Expected<IniFile, std::vector<IniError>> IniFile::parse(std::string_view text, std::string fileName,
                                                        Environment env) {
  IniFile file;
  file.fileName_ = std::move(fileName);
  file.env_ = std::move(env);
  std::vector<IniError> errors;
  auto fail = [&](IniErrorKind kind, int line, std::string key, std::string message) {
    errors.push_back({kind, ConfigError{file.fileName_, line, std::move(key), std::move(message)}});
  };

  // Parts of every value, joined once the whole file is read (blank lines inside values count).
  std::map<const IniValue*, std::vector<std::string>> parts;
  Section scratch;  // receives what follows a duplicate, so one mistake gives one error
  Section* current = nullptr;
  std::string currentName;
  IniValue* currentValue = nullptr;  // the option continuation lines extend
  std::string optionName;            // Python's `optname`: continuation needs a non-empty one
  std::size_t indentLevel = 0;
  std::map<std::string, int> sectionLines;
  std::map<std::pair<std::string, std::string>, int> optionLines;
  bool missingHeaderReported = false;

  const auto lines = splitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int lineNo = static_cast<int>(i) + 1;
    std::string_view line = lines[i];
    if (lineNo == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") {
      line.remove_prefix(3);  // a UTF-8 byte order mark (Python would reject the file)
    }
    const std::string_view value = stripPython(line);
    if (value.empty() || value[0] == '#' || value[0] == ';') {
      // Blank lines belong to the value being read (empty_lines_in_values); comment lines do not.
      if (value.empty() && current != nullptr && currentValue != nullptr && !optionName.empty()) {
        parts[currentValue].push_back("");
      }
      continue;
    }
    const std::size_t indent = indentOf(line);
    if (current != nullptr && currentValue != nullptr && !optionName.empty() && indent > indentLevel) {
      parts[currentValue].emplace_back(value);
      continue;
    }
    indentLevel = indent;
    const auto close = value.rfind(']');
    if (value[0] == '[' && close != std::string_view::npos && close >= 2) {
      std::string name(value.substr(1, close - 1));
      currentValue = nullptr;
      optionName.clear();
      if (name == kDefaultSection) {
        current = &file.defaults_;
      } else if (auto seen = sectionLines.find(name); seen != sectionLines.end()) {
        fail(IniErrorKind::DuplicateSection, lineNo, "",
             "section [" + name + "] already appears at line " + std::to_string(seen->second));
        current = &scratch;
      } else {
        sectionLines[name] = lineNo;
        file.sectionOrder_.push_back(name);
        current = &file.sections_[name];
      }
      currentName = std::move(name);
      continue;
    }
    if (current == nullptr) {
      if (!missingHeaderReported) {
        fail(IniErrorKind::MissingSectionHeader, lineNo, "",
             "this line comes before the first [section] header: " + inQuotes(value));
        missingHeaderReported = true;
      }
      continue;
    }
    const auto delimiter = value.find_first_of("=:");
    if (delimiter == std::string_view::npos) {
      // Python keeps `optname` here, so a following indented line still continues the last value.
      fail(IniErrorKind::Parsing, lineNo, "",
           inQuotes(value) +
               " is not a key with a value (write \"key = value\" or \"key =\" for an empty value)");
      continue;
    }
    std::string key = lowerAscii(rstripPython(value.substr(0, delimiter)));
    const std::string_view text1 = stripPython(value.substr(delimiter + 1));
    if (key.empty()) {
      fail(IniErrorKind::Parsing, lineNo, "",
           inQuotes(value) + " has no key name before '" + std::string(1, value[delimiter]) + "'");
    }
    const auto id = std::make_pair(currentName, key);
    if (auto seen = optionLines.find(id); seen != optionLines.end() && current != &scratch) {
      fail(IniErrorKind::DuplicateOption, lineNo, key,
           "already set in [" + currentName + "] at line " + std::to_string(seen->second));
      scratch.values[key] = IniValue{};
      currentValue = &scratch.values[key];
      optionName = key;
      parts[currentValue] = {std::string(text1)};
      continue;
    }
    optionLines[id] = lineNo;
    if (current->values.find(key) == current->values.end()) {
      current->order.push_back(key);
    }
    current->values[key] = IniValue{"", lineNo};
    currentValue = &current->values[key];
    optionName = key;
    parts[currentValue] = {std::string(text1)};
  }
  if (!errors.empty()) {
    return unexpected(std::move(errors));
  }

  auto join = [&](Section& section) {
    for (auto& [name, entry] : section.values) {
      std::string joined;
      const auto& p = parts[&entry];
      for (std::size_t k = 0; k < p.size(); ++k) {
        if (k > 0) {
          joined += '\n';
        }
        joined += p[k];
      }
      entry.raw = std::string(rstripPython(joined));
    }
  };
  join(file.defaults_);
  for (auto& [name, section] : file.sections_) {
    join(section);
  }
  return file;
}

const IniFile::Section* IniFile::findSection(std::string_view section) const {
  if (section == kDefaultSection) {
    return &defaults_;
  }
  auto it = sections_.find(section);
  return it == sections_.end() ? nullptr : &it->second;
}

bool IniFile::hasSection(std::string_view section) const {
  return sections_.find(section) != sections_.end();
}

bool IniFile::hasOption(std::string_view section, std::string_view key) const {
  return raw(section, key) != nullptr;
}

std::vector<std::string> IniFile::ownOptions(std::string_view section) const {
  const Section* s = findSection(section);
  return s == nullptr ? std::vector<std::string>{} : s->order;
}

std::vector<std::string> IniFile::options(std::string_view section) const {
  const Section* s = findSection(section);
  if (s == nullptr) {
    return {};
  }
  std::vector<std::string> out = s->order;
  if (s != &defaults_) {
    for (const auto& key : defaults_.order) {
      if (s->values.find(key) == s->values.end()) {
        out.push_back(key);
      }
    }
  }
  return out;
}

const IniValue* IniFile::raw(std::string_view section, std::string_view key) const {
  const Section* s = findSection(section);
  if (s == nullptr) {
    return nullptr;
  }
  const std::string lowered = lowerAscii(key);
  if (auto it = s->values.find(lowered); it != s->values.end()) {
    return &it->second;
  }
  if (auto it = defaults_.values.find(lowered); it != defaults_.values.end()) {
    return &it->second;
  }
  return nullptr;
}

int IniFile::lineOf(std::string_view section, std::string_view key) const {
  const IniValue* v = raw(section, key);
  return v == nullptr ? 0 : v->line;
}

// Section, then [DEFAULT], then the environment. Among environment variables, an exact-case match of
// the name as written wins; otherwise the first case-insensitive match in byte order (so "HTTP_PROXY"
// before "http_proxy"), which keeps variables that differ only in case from being an error.
const std::string* IniFile::lookupReference(const Section* section, const std::string& writtenName) const {
  const std::string lowered = lowerAscii(writtenName);
  if (auto it = section->values.find(lowered); it != section->values.end()) {
    return &it->second.raw;
  }
  if (auto it = defaults_.values.find(lowered); it != defaults_.values.end()) {
    return &it->second.raw;
  }
  if (auto it = env_.find(writtenName); it != env_.end()) {
    return &it->second;
  }
  for (const auto& [name, value] : env_) {
    if (lowerAscii(name) == lowered) {
      return &value;
    }
  }
  return nullptr;
}

std::optional<IniError> IniFile::interpolate(const Section* section, std::string_view key, int line,
                                             std::string_view rest, int depth, std::string& out) const {
  auto error = [&](IniErrorKind kind, std::string message) {
    return IniError{kind, ConfigError{fileName_, line, std::string(key), std::move(message)}};
  };
  if (depth > kMaxInterpolationDepth) {
    return error(IniErrorKind::InterpolationDepth, "interpolation nests deeper than " +
                                                       std::to_string(kMaxInterpolationDepth) +
                                                       " levels (does a %(name)s reference loop back?)");
  }
  while (!rest.empty()) {
    const auto p = rest.find('%');
    if (p == std::string_view::npos) {
      out += rest;
      return std::nullopt;
    }
    out += rest.substr(0, p);
    rest.remove_prefix(p);
    const char next = rest.size() > 1 ? rest[1] : '\0';
    if (next == '%') {
      out += '%';
      rest.remove_prefix(2);
    } else if (next == '(') {
      const auto closeParen = rest.find(')');
      if (closeParen == std::string_view::npos || closeParen == 2 || closeParen + 1 >= rest.size() ||
          rest[closeParen + 1] != 's') {
        return error(IniErrorKind::InterpolationSyntax, "bad interpolation reference " + inQuotes(rest) +
                                                            " (write %(name)s, or %% for a literal %)");
      }
      const std::string name(rest.substr(2, closeParen - 2));
      rest.remove_prefix(closeParen + 2);
      const std::string* value = lookupReference(section, name);
      if (value == nullptr) {
        return error(
            IniErrorKind::InterpolationMissingOption,
            "%(" + name + ")s refers to \"" + lowerAscii(name) +
                "\", which is neither a key of this section or [DEFAULT] nor an environment variable");
      }
      // Environment values are inserted as they are: secrets such as script keys are not written with
      // ConfigParser's %% escaping in mind (the original fails at start-up on any variable holding a '%').
      const bool fromEnvironment =
          !section->values.count(lowerAscii(name)) && !defaults_.values.count(lowerAscii(name));
      if (!fromEnvironment && value->find('%') != std::string::npos) {
        if (auto nested = interpolate(section, key, line, *value, depth + 1, out)) {
          return nested;
        }
      } else {
        out += *value;
      }
    } else {
      return error(IniErrorKind::InterpolationSyntax,
                   "'%' must be followed by '%' or '(' (write %% for a literal %), found " + inQuotes(rest));
    }
  }
  return std::nullopt;
}

Expected<std::string, IniError> IniFile::get(std::string_view section, std::string_view key) const {
  const Section* s = findSection(section);
  if (s == nullptr) {
    return unexpected(IniError{
        IniErrorKind::NoSection,
        ConfigError{fileName_, 0, std::string(key), "section [" + std::string(section) + "] is missing"}});
  }
  const IniValue* value = raw(section, key);
  if (value == nullptr) {
    return unexpected(IniError{IniErrorKind::NoOption,
                               ConfigError{fileName_, 0, std::string(key),
                                           "required key is missing from [" + std::string(section) + "]"}});
  }
  std::string out;
  if (auto failed = interpolate(s, key, value->line, value->raw, 1, out)) {
    return unexpected(std::move(*failed));
  }
  return out;
}

IniError IniFile::valueError(std::string_view section, std::string_view key, std::string message) const {
  return IniError{IniErrorKind::Value,
                  ConfigError{fileName_, lineOf(section, key), std::string(key), std::move(message)}};
}

Expected<std::int64_t, IniError> IniFile::getInt(std::string_view section, std::string_view key) const {
  auto text = get(section, key);
  if (!text) {
    return unexpected(std::move(text.error()));
  }
  if (auto v = parsePythonInt(*text)) {
    return *v;
  }
  return unexpected(valueError(section, key, inQuotes(*text) + " is not an integer"));
}

Expected<double, IniError> IniFile::getFloat(std::string_view section, std::string_view key) const {
  auto text = get(section, key);
  if (!text) {
    return unexpected(std::move(text.error()));
  }
  if (auto v = parsePythonFloat(*text)) {
    return *v;
  }
  return unexpected(valueError(section, key, inQuotes(*text) + " is not a number"));
}

Expected<bool, IniError> IniFile::getBool(std::string_view section, std::string_view key) const {
  auto text = get(section, key);
  if (!text) {
    return unexpected(std::move(text.error()));
  }
  if (auto v = parsePythonBool(*text)) {
    return *v;
  }
  return unexpected(
      valueError(section, key, inQuotes(*text) + " is not a boolean (use 1/yes/true/on or 0/no/false/off)"));
}

}  // namespace sgeventd::config
