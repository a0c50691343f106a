#pragma once
// Delivers one composed message. The interface lets the sender's tests run without a server; the curl
// implementation speaks SMTP as the original did, one connection per mail.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/daemon_config.h"

namespace sgeventd::alerts {

struct OutgoingMail {
  std::string from;             // envelope: "<a@b>"
  std::vector<std::string> to;  // envelope: "<a@b>" each
  std::string data;             // headers and body, CRLF
};

struct SendResult {
  enum class Kind {
    Sent,
    Transient,  // unreachable, timed out, 4xx, TLS trouble: the same mail is tried again later
    Rejected,   // a 5xx reply (recipient, data or login refused): trying again cannot help
  };
  Kind kind = Kind::Sent;
  std::string detail;  // curl's reason and the server's reply code; never the credentials
};

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  virtual SendResult send(const OutgoingMail& mail, std::chrono::milliseconds timeout) = 0;
};
using MailTransportPtr = std::unique_ptr<MailTransport>;

// smtp://server:port, STARTTLS required whenever useTLS is on (with or without a login); port 465 is
// smtps:// (TLS from the first byte). Login only when a username is set.
MailTransportPtr makeSmtpTransport(const config::EmailSettings& settings);

// "smtp://mail.example.com:25": for log lines (no credentials in it).
std::string smtpUrl(const config::EmailSettings& settings);

}  // namespace sgeventd::alerts
