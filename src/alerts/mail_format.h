#pragma once
// What a mail says: the original's subject and body (spec §5.2) plus the headers a mail needs to be
// delivered and threaded (Date, Message-ID, MIME), and sgeventd's notes (repeats, suppressed, dropped).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.h"

namespace sgeventd::alerts {

// "<prefix> CRITICAL - SG event daemon on render-07." (the original ends "SG event daemon."; an empty
// host gives exactly that).
std::string subjectLine(std::string_view prefix, core::LogLevel level, std::string_view host);

// The original's EMAIL_FORMAT_STRING: "Time: …\nLogger: …\nPath: …\nFunction: …\nLine: …\n\n<message>".
std::string bodyText(const Alert& alert);

// RFC 5322 date in UTC: "Tue, 01 Dec 2026 23:30:34 +0000".
std::string mailDate(std::chrono::system_clock::time_point t);

// What sgeventd adds under the original body, each line a sentence; empty when nothing happened.
struct MailNotes {
  std::uint64_t repeats = 0;  // the same record again within the coalesce window
  std::chrono::system_clock::time_point firstRepeat;
  std::chrono::system_clock::time_point lastRepeat;
  std::uint64_t suppressedByCap = 0;
  int maxPerHour = 0;
  std::uint64_t droppedQueueFull = 0;
  std::uint64_t rejected = 0;
};
std::string notesText(const MailNotes& notes);

struct MailHeaders {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::chrono::system_clock::time_point date;
  std::string messageId;  // without the angle brackets
};

// The whole message as sent after DATA: CRLF line ends, header values on one line (non-ASCII subjects
// encoded as RFC 2047 words), body lines kept under SMTP's 998-octet limit.
std::string composeMessage(const MailHeaders& headers, std::string_view body);

// "20261201233034.4711.17@render-07.example.com": unique per process and mail.
std::string makeMessageId(std::chrono::system_clock::time_point t, std::uint64_t sequence,
                          std::string_view fqdn);

// The short host name for the subject and the full one for Message-ID (gethostname()).
std::string hostName();
std::string shortHostName(std::string_view host);

// The bare address SMTP's MAIL FROM / RCPT TO want, from "Name <a@b>" or "a@b".
std::string envelopeAddress(std::string_view address);

}  // namespace sgeventd::alerts
