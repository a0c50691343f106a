#include "alerts/mail_format.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <ctime>

#include "logging/record_format.h"

namespace sgeventd::alerts {
namespace {

constexpr std::size_t kMaxLine = 998;  // RFC 5321 §4.5.3.1.6, without the CRLF

std::string oneLine(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

bool ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out +=
        {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::string headerText(std::string_view value) {
  std::string line = oneLine(value);
  return ascii(line) ? line : "=?utf-8?B?" + base64(line) + "?=";
}

std::string utcStamp(std::chrono::system_clock::time_point t, const char* format) {
  const std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  const std::size_t length = std::strftime(text, sizeof text, format, &utc);
  return std::string(text, length);
}

// LF or CRLF in, CRLF out; a line over the limit is broken (mail servers may refuse it whole).
void appendBody(std::string& out, std::string_view body) {
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('\n', start);
    if (end == std::string_view::npos) {
      end = body.size();
    }
    std::string_view line = body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    do {
      out.append(line.substr(0, kMaxLine)).append("\r\n");
      line = line.size() > kMaxLine ? line.substr(kMaxLine) : std::string_view();
    } while (!line.empty());
    if (end == body.size()) {
      break;
    }
    start = end + 1;
  }
}

}  // namespace

std::string subjectLine(std::string_view prefix, core::LogLevel level, std::string_view host) {
  std::string subject(prefix);
  subject.append(" ").append(core::levelName(level)).append(" - SG event daemon");
  if (!host.empty()) {
    subject.append(" on ").append(host);
  }
  subject.append(".");
  return subject;
}

std::string bodyText(const Alert& alert) {
  std::string body = "Time: " + logging::asctime(alert.time) + "\nLogger: " + alert.logger +
                     "\nPath: " + alert.path + "\nFunction: " + alert.function +
                     "\nLine: " + std::to_string(alert.line) + "\n\n" + alert.message;
  return body;
}

std::string mailDate(std::chrono::system_clock::time_point t) {
  return utcStamp(t, "%a, %d %b %Y %H:%M:%S +0000");
}

std::string notesText(const MailNotes& notes) {
  std::string text;
  if (notes.repeats > 0) {
    text += "The same record was logged " + std::to_string(notes.repeats) + " more time" +
            (notes.repeats == 1 ? "" : "s") + " from " + logging::asctime(notes.firstRepeat) + " to " +
            logging::asctime(notes.lastRepeat) + " (the last one is above).\n";
  }
  if (notes.suppressedByCap > 0) {
    text += std::to_string(notes.suppressedByCap) + " earlier alert mail" +
            (notes.suppressedByCap == 1 ? " was" : "s were") + " not sent: at most " +
            std::to_string(notes.maxPerHour) +
            " are sent per hour (max_per_hour). The log files have them all.\n";
  }
  if (notes.droppedQueueFull > 0) {
    text += std::to_string(notes.droppedQueueFull) + " earlier alert" +
            (notes.droppedQueueFull == 1 ? " was" : "s were") +
            " dropped because too many were waiting to be sent (queue_size). The log files have them all.\n";
  }
  if (notes.rejected > 0) {
    text += std::to_string(notes.rejected) + " earlier alert mail" +
            (notes.rejected == 1 ? " was" : "s were") +
            " refused by the mail server. The log files have them all.\n";
  }
  return text;
}

std::string composeMessage(const MailHeaders& headers, std::string_view body) {
  std::string to;
  for (const auto& address : headers.to) {
    to.append(to.empty() ? "" : ", ").append(oneLine(address));
  }
  std::string out;
  out.append("From: ").append(oneLine(headers.from)).append("\r\n");
  out.append("To: ").append(to).append("\r\n");
  out.append("Subject: ").append(headerText(headers.subject)).append("\r\n");
  out.append("Date: ").append(mailDate(headers.date)).append("\r\n");
  out.append("Message-ID: <").append(oneLine(headers.messageId)).append(">\r\n");
  out.append("MIME-Version: 1.0\r\n");
  out.append("Content-Type: text/plain; charset=utf-8\r\n");
  out.append("Content-Transfer-Encoding: 8bit\r\n");
  out.append("Auto-Submitted: auto-generated\r\n");  // RFC 3834: vacation responders stay quiet
  out.append("\r\n");
  appendBody(out, body);
  return out;
}

std::string makeMessageId(std::chrono::system_clock::time_point t, std::uint64_t sequence,
                          std::string_view fqdn) {
  return utcStamp(t, "%Y%m%d%H%M%S") + "." + std::to_string(::getpid()) + "." + std::to_string(sequence) +
         "@" + std::string(fqdn.empty() ? "localhost" : fqdn);
}

std::string hostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) {
    return "";
  }
  return name;
}

std::string shortHostName(std::string_view host) { return std::string(host.substr(0, host.find('.'))); }

std::string envelopeAddress(std::string_view address) {
  const auto open = address.rfind('<');
  const auto close = address.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && open < close) {
    address = address.substr(open + 1, close - open - 1);
  }
  while (!address.empty() && address.front() == ' ') {
    address.remove_prefix(1);
  }
  while (!address.empty() && address.back() == ' ') {
    address.remove_suffix(1);
  }
  return "<" + std::string(address) + ">";
}

}  // namespace sgeventd::alerts
