// The mail as the original wrote it (spec §5.2) plus the headers and notes sgeventd adds.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "alerts/mail_format.h"

using namespace sgeventd;
using namespace sgeventd::alerts;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at2026() {
  // 2026-12-01 23:30:34.483 UTC
  return std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + 23h + 30min + 34s + 483ms;
}

class UtcZone : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv("TZ")) {
      previous_ = old;
    }
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    previous_.empty() ? ::unsetenv("TZ") : ::setenv("TZ", previous_.c_str(), 1);
    ::tzset();
  }
  std::string previous_;
};

Alert sampleAlert() {
  Alert a;
  a.time = at2026();
  a.logger = "plugin.demo.onEvent";
  a.level = core::LogLevel::Critical;
  a.message = "Traceback (most recent call last):\n  File \"demo.py\", line 3\nRuntimeError: boom";
  a.path = "/srv/plugins/demo.py";
  a.function = "onEvent";
  a.line = 3;
  a.to = {"a@example.com", "b@example.com"};
  return a;
}

}  // namespace

TEST(MailFormat, SubjectIsTheOriginalsWithTheHostName) {
  EXPECT_EQ(subjectLine("[SG]", core::LogLevel::Critical, "render-07"),
            "[SG] CRITICAL - SG event daemon on render-07.");
  EXPECT_EQ(subjectLine("[SG]", core::LogLevel::Error, "render-07"),
            "[SG] ERROR - SG event daemon on render-07.");
  EXPECT_EQ(subjectLine("[SG]", core::LogLevel::Critical, ""), "[SG] CRITICAL - SG event daemon.");
  EXPECT_EQ(shortHostName("render-07.studio.example"), "render-07");
}

TEST_F(UtcZone, BodyIsTheOriginalsFormatString) {
  EXPECT_EQ(bodyText(sampleAlert()),
            "Time: 2026-12-01 23:30:34,483\nLogger: plugin.demo.onEvent\nPath: /srv/plugins/demo.py\n"
            "Function: onEvent\nLine: 3\n\nTraceback (most recent call last):\n  File \"demo.py\", line 3\n"
            "RuntimeError: boom");
}

TEST(MailFormat, DateIsRfc5322InUtc) { EXPECT_EQ(mailDate(at2026()), "Tue, 01 Dec 2026 23:30:34 +0000"); }

TEST(MailFormat, MessageHasTheHeadersAndCrlfLines) {
  const MailHeaders headers{"SG daemon <sg@example.com>",
                            {"a@example.com", "b@example.com"},
                            "[SG] ERROR - SG event daemon on h.",
                            at2026(),
                            "id.1@h"};
  const std::string data = composeMessage(headers, "line one\nline two");
  EXPECT_EQ(
      data,
      "From: SG daemon <sg@example.com>\r\nTo: a@example.com, b@example.com\r\n"
      "Subject: [SG] ERROR - SG event daemon on h.\r\nDate: Tue, 01 Dec 2026 23:30:34 +0000\r\n"
      "Message-ID: <id.1@h>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\nline one\r\nline two\r\n");
}

TEST(MailFormat, HeaderValuesStayOnOneLineAndNonAsciiSubjectsAreEncoded) {
  const MailHeaders headers{
      "sg@example.com", {"a@example.com"}, "[SG]\r\nBcc: evil@example.com", at2026(), "x@h"};
  const std::string data = composeMessage(headers, "");
  EXPECT_NE(data.find("Subject: [SG]  Bcc: evil@example.com\r\n"), std::string::npos) << data;
  const MailHeaders utf8{"sg@example.com", {"a@example.com"}, "[SG] Fehler – Dämon", at2026(), "x@h"};
  EXPECT_NE(composeMessage(utf8, "").find("Subject: =?utf-8?B?W1NHXSBGZWhsZXIg4oCTIETDpG1vbg==?=\r\n"),
            std::string::npos);
}

TEST(MailFormat, LinesLongerThanSmtpAllowsAreBroken) {
  const std::string longLine(2500, 'x');
  const MailHeaders headers{"s@e", {"a@e"}, "s", at2026(), "x@h"};
  const std::string data = composeMessage(headers, longLine);
  const std::string body = data.substr(data.find("\r\n\r\n") + 4);
  EXPECT_EQ(body,
            std::string(998, 'x') + "\r\n" + std::string(998, 'x') + "\r\n" + std::string(504, 'x') + "\r\n");
}

TEST(MailFormat, EnvelopeAddressesAreBare) {
  EXPECT_EQ(envelopeAddress("SG daemon <sg@example.com>"), "<sg@example.com>");
  EXPECT_EQ(envelopeAddress(" sg@example.com "), "<sg@example.com>");
}

TEST(MailFormat, MessageIdsDifferPerMail) {
  EXPECT_NE(makeMessageId(at2026(), 1, "h.example"), makeMessageId(at2026(), 2, "h.example"));
  EXPECT_NE(makeMessageId(at2026(), 1, "h.example").find("@h.example"), std::string::npos);
}

TEST_F(UtcZone, NotesSayWhatWasNotSentOnItsOwn) {
  MailNotes notes;
  EXPECT_EQ(notesText(notes), "");
  notes.repeats = 4;
  notes.firstRepeat = at2026();
  notes.lastRepeat = at2026() + 30s;
  notes.suppressedByCap = 2;
  notes.maxPerHour = 30;
  notes.droppedQueueFull = 1;
  EXPECT_EQ(
      notesText(notes),
      "The same record was logged 4 more times from 2026-12-01 23:30:34,483 to 2026-12-01 23:31:04,483 "
      "(the last one is above).\n"
      "2 earlier alert mails were not sent: at most 30 are sent per hour (max_per_hour). The log files "
      "have them all.\n"
      "1 earlier alert was dropped because too many were waiting to be sent (queue_size). The log files "
      "have them all.\n");
}
