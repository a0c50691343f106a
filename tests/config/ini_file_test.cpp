// One small test per behaviour and per error message of the INI reader.
#include "config/ini_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sgeventd::config {
namespace {

IniFile parseOk(std::string_view text, Environment env = {}) {
  auto ini = IniFile::parse(text, "test.conf", std::move(env));
  EXPECT_TRUE(ini.has_value()) << (ini ? "" : ini.error().front().error.describe());
  return ini ? *ini : *IniFile::parse("", "empty.conf");
}

std::string parseError(std::string_view text) {
  auto ini = IniFile::parse(text, "test.conf");
  EXPECT_FALSE(ini.has_value());
  return ini ? "" : ini.error().front().error.describe();
}

std::string getError(std::string_view text, const std::string& section, const std::string& key,
                     Environment env = {}) {
  IniFile ini = parseOk(text, std::move(env));
  auto value = ini.get(section, key);
  EXPECT_FALSE(value.has_value());
  return value ? "" : value.error().error.describe();
}

TEST(IniFile, KeysAreLowerCasedSectionsAreNot) {
  IniFile ini = parseOk("[Daemon]\nPidFile = /x\n");
  EXPECT_TRUE(ini.hasSection("Daemon"));
  EXPECT_FALSE(ini.hasSection("daemon"));
  EXPECT_EQ(*ini.get("Daemon", "pidfile"), "/x");
  EXPECT_EQ(*ini.get("Daemon", "PIDFILE"), "/x");
  EXPECT_EQ(ini.ownOptions("Daemon"), std::vector<std::string>{"pidfile"});
}

TEST(IniFile, ValuesRememberTheirLine) {
  IniFile ini = parseOk("# c\n[a]\n\nk = v\n  more\nj = w\n");
  EXPECT_EQ(ini.lineOf("a", "k"), 4);
  EXPECT_EQ(ini.lineOf("a", "j"), 6);
  EXPECT_EQ(ini.raw("a", "k")->raw, "v\nmore");
}

TEST(IniFile, DefaultSectionIsVisibleEverywhere) {
  IniFile ini = parseOk("[DEFAULT]\nroot = /srv\n[a]\nk = %(root)s/a\n");
  EXPECT_TRUE(ini.hasOption("a", "root"));
  EXPECT_EQ(*ini.get("a", "k"), "/srv/a");
  EXPECT_EQ(ini.sections(), std::vector<std::string>{"a"});
}

TEST(IniFile, EnvironmentOnlyThroughInterpolation) {
  IniFile ini = parseOk("[emails]\nserver = %(SMTP_HOST)s\n", {{"SMTP_HOST", "mail"}, {"PORT", "2525"}});
  EXPECT_EQ(*ini.get("emails", "server"), "mail");
  EXPECT_FALSE(ini.hasOption("emails", "port")) << "an environment variable must not set a key";
  EXPECT_FALSE(ini.get("emails", "port").has_value());
}

TEST(IniFile, EnvironmentNamesDifferingInCaseDoNotCrash) {
  const Environment env = {{"HTTP_PROXY", "upper"}, {"http_proxy", "lower"}, {"Only_Mixed", "m"}};
  IniFile ini = parseOk(
      "[a]\nexact_lower = %(http_proxy)s\nexact_upper = %(HTTP_PROXY)s\n"
      "mixed = %(Http_Proxy)s\nother = %(ONLY_MIXED)s\n",
      env);
  EXPECT_EQ(*ini.get("a", "exact_lower"), "lower");
  EXPECT_EQ(*ini.get("a", "exact_upper"), "upper");
  EXPECT_EQ(*ini.get("a", "mixed"), "upper") << "no exact match: the first name in byte order wins";
  EXPECT_EQ(*ini.get("a", "other"), "m");
}

TEST(IniFile, SectionBeatsDefaultBeatsEnvironment) {
  IniFile ini = parseOk("[DEFAULT]\nhome = default\n[a]\nhome = section\nk = %(home)s\n[b]\nk = %(home)s\n",
                        {{"HOME", "env"}});
  EXPECT_EQ(*ini.get("a", "k"), "section");
  EXPECT_EQ(*ini.get("b", "k"), "default");
}

TEST(IniFile, EnvironmentValuesAreInsertedVerbatim) {
  IniFile ini = parseOk("[shotgun]\nkey = %(SG_ED_API_KEY)s\n", {{"SG_ED_API_KEY", "ab%c%(x)s"}});
  EXPECT_EQ(*ini.get("shotgun", "key"), "ab%c%(x)s");
}

TEST(IniFile, PercentPercentIsPercent) {
  EXPECT_EQ(*parseOk("[a]\npassword = p%%ss\n").get("a", "password"), "p%ss");
}

TEST(IniFile, GettersFollowPython) {
  IniFile ini = parseOk("[a]\ni = 1_000\nf = 0.5\nb = Yes\nbad = 0.5\n");
  EXPECT_EQ(*ini.getInt("a", "i"), 1000);
  EXPECT_DOUBLE_EQ(*ini.getFloat("a", "f"), 0.5);
  EXPECT_TRUE(*ini.getBool("a", "b"));
  EXPECT_FALSE(ini.getInt("a", "bad").has_value());
}

TEST(IniErrors, NotANumber) {
  IniFile ini = parseOk("[daemon]\n\nfetch_interval = abc\n");
  EXPECT_EQ(ini.getFloat("daemon", "fetch_interval").error().error.describe(),
            "test.conf:3: fetch_interval: \"abc\" is not a number");
}

TEST(IniErrors, NotAnInteger) {
  IniFile ini = parseOk("[daemon]\nlogging = 0.5\n");
  EXPECT_EQ(ini.getInt("daemon", "logging").error().error.describe(),
            "test.conf:2: logging: \"0.5\" is not an integer");
}

TEST(IniErrors, NotABoolean) {
  IniFile ini = parseOk("[a]\nflag = maybe\n");
  EXPECT_EQ(ini.getBool("a", "flag").error().error.describe(),
            "test.conf:2: flag: \"maybe\" is not a boolean (use 1/yes/true/on or 0/no/false/off)");
}

TEST(IniErrors, MissingSectionHeader) {
  EXPECT_EQ(parseError("key = v\n[a]\n"),
            "test.conf:1: this line comes before the first [section] header: \"key = v\"");
}

TEST(IniErrors, KeyWithoutValue) {
  EXPECT_EQ(parseError("[a]\nlonely\n"),
            "test.conf:2: \"lonely\" is not a key with a value "
            "(write \"key = value\" or \"key =\" for an empty value)");
}

TEST(IniErrors, EmptyKeyName) {
  EXPECT_EQ(parseError("[a]\n= v\n"), "test.conf:2: \"= v\" has no key name before '='");
}

TEST(IniErrors, DuplicateSection) {
  EXPECT_EQ(parseError("[a]\n[b]\n[a]\n"), "test.conf:3: section [a] already appears at line 1");
}

TEST(IniErrors, DuplicateOptionIgnoresCase) {
  EXPECT_EQ(parseError("[a]\nKey = 1\nkey = 2\n"), "test.conf:3: key: already set in [a] at line 2");
}

TEST(IniErrors, AllSyntaxErrorsAreReported) {
  auto ini = IniFile::parse("[a]\nx\n[a]\ny\n", "test.conf");
  ASSERT_FALSE(ini.has_value());
  EXPECT_EQ(ini.error().size(), 3U);
}

TEST(IniErrors, MissingReference) {
  EXPECT_EQ(getError("[shotgun]\nserver = %(SG_ED_SITE_URL)s\n", "shotgun", "server"),
            "test.conf:2: server: %(SG_ED_SITE_URL)s refers to \"sg_ed_site_url\", which is neither a key of "
            "this section or [DEFAULT] nor an environment variable");
}

TEST(IniErrors, LonePercent) {
  EXPECT_EQ(
      getError("[a]\npassword = 100%\n", "a", "password"),
      "test.conf:2: password: '%' must be followed by '%' or '(' (write %% for a literal %), found \"%\"");
}

TEST(IniErrors, BadReference) {
  EXPECT_EQ(getError("[a]\nk = %(oops\n", "a", "k"),
            "test.conf:2: k: bad interpolation reference \"%(oops\" (write %(name)s, or %% for a literal %)");
}

TEST(IniErrors, DepthLimit) {
  EXPECT_EQ(
      getError("[a]\nx = %(y)s\ny = %(x)s\n", "a", "x"),
      "test.conf:2: x: interpolation nests deeper than 10 levels (does a %(name)s reference loop back?)");
}

TEST(IniErrors, MissingKeyAndSection) {
  IniFile ini = parseOk("[a]\n");
  EXPECT_EQ(ini.get("a", "k").error().error.describe(), "test.conf: k: required key is missing from [a]");
  EXPECT_EQ(ini.get("b", "k").error().error.describe(), "test.conf: k: section [b] is missing");
}

TEST(IniErrors, UnreadableFile) {
  auto ini = IniFile::read("/nonexistent/sgeventd/test.conf");
  ASSERT_FALSE(ini.has_value());
  EXPECT_EQ(ini.error().front().error.describe(),
            "/nonexistent/sgeventd/test.conf: cannot be read (missing or not readable)");
}

// Issue 8, item 10: a 150 MB config took 18 s and 1.86 GB to parse. Over the cap it is refused, with
// a message that says why, before any parsing; at the cap it is read.
TEST(IniErrors, FileOverTheSizeCapIsRefusedBeforeParsing) {
  std::string pattern = (std::filesystem::temp_directory_path() / "sgeventd-ini-XXXXXX").string();
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  const std::string path = (dir / "big.conf").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "[a]\nk = v\n";
    // Comment lines up to one byte past the cap: valid INI, so only the size can refuse it.
    const std::string comment = "#" + std::string(1022, 'x') + "\n";
    auto written = static_cast<std::size_t>(out.tellp());
    while (written + comment.size() <= IniFile::kMaxConfigBytes) {
      out << comment;
      written += comment.size();
    }
    out << std::string(IniFile::kMaxConfigBytes - written, '#');
  }
  ASSERT_EQ(std::filesystem::file_size(path), IniFile::kMaxConfigBytes);
  auto atCap = IniFile::read(path);
  ASSERT_TRUE(atCap.has_value()) << atCap.error().front().error.describe();
  EXPECT_EQ(*atCap->get("a", "k"), "v");

  std::ofstream(path, std::ios::binary | std::ios::app) << "#";
  auto over = IniFile::read(path);
  ASSERT_FALSE(over.has_value());
  ASSERT_EQ(over.error().size(), 1U);
  EXPECT_EQ(over.error().front().error.describe(),
            path + ": is larger than 16 MiB, the most a config file may be (refused before parsing)");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sgeventd::config
