// `sgeventd state set` end to end: the id is checked before anything is opened (issue 8, item 5).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "run_binary.h"

namespace sgeventd::app {
namespace {

namespace fs = std::filesystem;
using testing::runBinary;

class StateSetCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sgeventd-state-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    db_ = (dir_ / "s.sqlite").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  testing::BinaryRun set(const std::string& id) const {
    return runBinary("state set --db " + db_ + " --collection /p myPlugin -- " + id);
  }
  fs::path dir_;
  std::string db_;
};

TEST_F(StateSetCommand, AcceptsDecimalIdsFromZeroToInt64Max) {
  for (const std::string id : {"0", "42", "9223372036854775807"}) {
    const auto run = set(id);
    EXPECT_EQ(run.exitCode, 0) << id << ": " << run.output;
  }
  const auto show = runBinary("state show --db " + db_);
  EXPECT_NE(show.output.find("9223372036854775807"), std::string::npos) << show.output;
}

TEST_F(StateSetCommand, RejectsWhatIsNotADecimalIdThatFits) {
  const struct {
    const char* id;
    const char* why;
  } cases[] = {
      {"99999999999999999999", "the largest event id is 9223372036854775807"},
      {"9223372036854775808", "the largest event id is 9223372036854775807"},
      {"0x10", "an event id is written in decimal digits 0-9 only"},
      {"abc", "an event id is written in decimal digits 0-9 only"},
      {"1e3", "an event id is written in decimal digits 0-9 only"},
      {"+5", "an event id is written in decimal digits 0-9 only"},
      {"-5", "event ids are not negative (0 means before the first event)"},
  };
  for (const auto& c : cases) {
    const auto run = set(c.id);
    EXPECT_EQ(run.exitCode, 1) << c.id << ": " << run.output;
    EXPECT_EQ(run.output, std::string("sgeventd state: \"") + c.id + "\" is not an event id: " + c.why + "\n")
        << c.id;
  }
  EXPECT_FALSE(fs::exists(db_)) << "a bad id must be refused before the database is created";
}

}  // namespace
}  // namespace sgeventd::app
