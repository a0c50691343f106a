#include "alerts/smtp_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

namespace sgeventd::alerts {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Reader {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t readChunk(char* buffer, std::size_t size, std::size_t count, void* userdata) {
  auto* reader = static_cast<Reader*>(userdata);
  const std::size_t n = std::min(size * count, reader->data->size() - reader->offset);
  std::memcpy(buffer, reader->data->data() + reader->offset, n);
  reader->offset += n;
  return n;
}

class SmtpTransport final : public MailTransport {
 public:
  explicit SmtpTransport(const config::EmailSettings& s)
      : url_(smtpUrl(s)),
        implicitTls_(s.port == 465),
        useTls_(s.useTls),
        username_(s.username.value_or("")),
        password_(s.password.value_or("")),
        caFile_(s.tlsCaFile.value_or("")) {}

  SendResult send(const OutgoingMail& mail, std::chrono::milliseconds timeout) override {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) {
      return {SendResult::Kind::Transient, "curl_easy_init failed"};
    }
    std::unique_ptr<curl_slist, ListDeleter> recipients;
    for (const auto& to : mail.to) {
      curl_slist* next = curl_slist_append(recipients.get(), to.c_str());
      if (next == nullptr) {
        return {SendResult::Kind::Transient, "out of memory"};
      }
      (void)recipients.release();
      recipients.reset(next);
    }
    Reader reader{&mail.data};
    char error[CURL_ERROR_SIZE] = {};
    CURL* c = curl.get();
    const long millis = static_cast<long>(std::max<std::int64_t>(1, timeout.count()));
    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, millis);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(millis, 5000L));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail.from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
    // As smtplib.sendmail: the mail goes to the recipients the server took, unless it refused them all.
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, readChunk);
    curl_easy_setopt(c, CURLOPT_READDATA, &reader);
    if (useTls_ && !implicitTls_) {
      // The original skipped STARTTLS without a login and fell back to plain text on any TLS trouble;
      // here TLS is required once asked for.
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    }
    if (!caFile_.empty()) {
      curl_easy_setopt(c, CURLOPT_CAINFO, caFile_.c_str());
    }
    if (!username_.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, username_.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, password_.c_str());
    }
    const CURLcode code = curl_easy_perform(c);
    if (code == CURLE_OK) {
      return {SendResult::Kind::Sent, ""};
    }
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    std::string detail = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(code));
    if (reply > 0) {
      detail += " (server reply " + std::to_string(reply) + ")";
    }
    const bool permanent = (reply >= 500 && reply < 600) || code == CURLE_LOGIN_DENIED;
    return {permanent ? SendResult::Kind::Rejected : SendResult::Kind::Transient, std::move(detail)};
  }

 private:
  const std::string url_;
  const bool implicitTls_;
  const bool useTls_;
  const std::string username_;
  const std::string password_;
  const std::string caFile_;
};

}  // namespace

std::string smtpUrl(const config::EmailSettings& settings) {
  const bool literalV6 = settings.server.find(':') != std::string::npos && settings.server.front() != '[';
  const std::string host = literalV6 ? "[" + settings.server + "]" : settings.server;
  return std::string(settings.port == 465 ? "smtps://" : "smtp://") + host + ":" +
         std::to_string(settings.port);
}

MailTransportPtr makeSmtpTransport(const config::EmailSettings& settings) {
  return std::make_unique<SmtpTransport>(settings);
}

}  // namespace sgeventd::alerts
