// The sender against a real SMTP server (aiosmtpd, started here on 127.0.0.1): the message as received,
// per-plugin recipients, a server that is down and comes back, one that is slow, one that refuses,
// STARTTLS with a self-signed certificate, and a login over TLS.
#include <gtest/gtest.h>

#include "../support/temp_dir.h"
#include "alerts/alert_sender.h"
#include "alerts/email_alerts.h"
#include "alerts/email_handler.h"
#include "core/memory_log.h"
#include "core/metrics_registry.h"
#include "support.h"

using namespace sgeventd;
using namespace sgeventd::alerts;
using namespace sgeventd::alerts::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class SmtpTest : public ::testing::Test {
 protected:
  config::EmailSettings settings(int port) const {
    config::EmailSettings s;
    s.enabled = true;
    s.server = "127.0.0.1";
    s.port = port;
    s.from = "SG daemon <sg@example.com>";
    s.to = {"ops@example.com", "lead@example.com"};
    s.subject = "[SG]";
    s.coalesceWindow = 0ms;
    s.timeout = 10s;
    return s;
  }
  // A sender on the manual clock with the real curl transport.
  std::unique_ptr<AlertSender> sender(const config::EmailSettings& s) {
    queue_ = std::make_shared<AlertQueue>(100);
    SenderDeps deps;
    deps.queue = queue_;
    deps.transport = makeSmtpTransport(s);
    deps.clock = clock_;
    deps.metrics = metrics_;
    deps.host = "render-07.studio.example";
    deps.seed = 7;
    auto out = std::make_unique<AlertSender>(s, std::move(deps));
    out->setLog(logs_.get("engine"));
    return out;
  }
  void push(const std::string& logger, const std::string& message, RecipientBook& book,
            core::LogLevel level = core::LogLevel::Critical) {
    EmailHandler handler(queue_, std::shared_ptr<const RecipientBook>(&book, [](const RecipientBook*) {}),
                         metrics_->counter("sgeventd_emails_dropped_total", "", {{"reason", "queue_full"}}));
    handler.emit({clock_->now(), logger, level, message, {"/srv/plugins/demo.py", "onEvent", 42}});
  }
  std::string certificate() {
    const auto cert = dir_.file("cert.pem");
    const auto key = dir_.file("key.pem");
    std::string output;
    const int code = sgeventd::testing::runCommand(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
        output);
    EXPECT_EQ(code, 0) << output;
    return cert;
  }
  std::string logText() {
    std::string text;
    for (const auto& r : logs_.sink().records()) {
      text += r.message + "\n";
    }
    return text;
  }

  sgeventd::testing::TempDir dir_;
  std::shared_ptr<ManualClock> clock_ = eveningClock();
  std::shared_ptr<core::MetricsRegistry> metrics_ = std::make_shared<core::MetricsRegistry>();
  core::MemoryLogFactory logs_;
  std::shared_ptr<AlertQueue> queue_;
};

}  // namespace

TEST_F(SmtpTest, TheMessageArrivesAsTheOriginalWroteItToThePluginsRecipients) {
  SmtpServer server(dir_.path() / "server");
  ASSERT_GT(server.port(), 0) << server.stderrText();
  auto s = settings(server.port());
  auto out = sender(s);
  RecipientBook book(s.to);
  book.set("team", {Recipients::Mode::Addresses, {"team@example.com"}});
  push("plugin.team.onEvent", "Traceback (most recent call last):\nRuntimeError: boom\n.\nlast line", book);
  push("engine", "Could not write the state", book, core::LogLevel::Error);
  out->pump();
  ASSERT_TRUE(server.waitForMessages(2)) << server.stderrText() << logText();
  const auto messages = server.messages();
  const json& first = messages[0];
  EXPECT_EQ(first["mail_from"], "sg@example.com");
  EXPECT_EQ(first["rcpt_tos"], json::array({"team@example.com"}));
  const std::string data = first["data"];
  EXPECT_EQ(headerOf(data, "Subject"), "[SG] CRITICAL - SG event daemon on render-07.");
  EXPECT_EQ(headerOf(data, "From"), "SG daemon <sg@example.com>");
  EXPECT_EQ(headerOf(data, "To"), "team@example.com");
  EXPECT_EQ(headerOf(data, "Date").size(), std::string("Tue, 01 Dec 2026 23:00:00 +0000").size());
  EXPECT_FALSE(headerOf(data, "Message-ID").empty());
  const std::string body = bodyOf(data);
  EXPECT_EQ(body.substr(0, 6), "Time: ");
  // A line holding only "." survives the transfer (curl dot-stuffs it, the server unstuffs it).
  EXPECT_NE(body.find("\nLogger: plugin.team.onEvent\nPath: /srv/plugins/demo.py\nFunction: onEvent\nLine: "
                      "42\n\nTraceback (most recent call last):\nRuntimeError: boom\n.\nlast line\n"),
            std::string::npos)
      << body;
  const json& second = messages[1];
  EXPECT_EQ(second["rcpt_tos"], json::array({"ops@example.com", "lead@example.com"}));
  EXPECT_EQ(headerOf(second["data"], "Subject"), "[SG] ERROR - SG event daemon on render-07.");
  EXPECT_EQ(headerOf(second["data"], "To"), "ops@example.com, lead@example.com");
  EXPECT_EQ(metrics_->value("sgeventd_emails_sent_total"), 2);
}

TEST_F(SmtpTest, AServerThatIsDownIsRetriedLoggedOnceAndDeliveredWhenItComesUp) {
  int port = 0;
  {
    SmtpServer probe(dir_.path() / "probe");
    port = probe.port();
  }
  ASSERT_GT(port, 0);
  auto s = settings(port);
  auto out = sender(s);
  RecipientBook book(s.to);
  push("engine", "first", book);
  auto next = out->pump();
  ASSERT_TRUE(next);
  EXPECT_TRUE(out->failing());
  push("engine", "second", book);
  clock_->advance(*next - clock_->steadyNow());
  next = out->pump();  // still down: tried again, not logged again
  ASSERT_TRUE(next);
  SmtpServer server(dir_.path() / "server", {"--port", std::to_string(port)});
  ASSERT_EQ(server.port(), port) << server.stderrText();
  clock_->advance(*next - clock_->steadyNow());
  out->pump();
  ASSERT_TRUE(server.waitForMessages(2)) << logText();
  EXPECT_NE(bodyOf(server.messages()[0]["data"]).find("first"), std::string::npos);
  EXPECT_NE(bodyOf(server.messages()[1]["data"]).find("second"), std::string::npos);
  EXPECT_EQ(logs_.sink().count("Could not send an e-mail alert"), 1u) << logText();
  EXPECT_EQ(logs_.sink().count("delivered again"), 1u);
}

TEST_F(SmtpTest, ASlowServerNeverHoldsTheLoggingThread) {
  SmtpServer server(dir_.path() / "server", {"--delay", "2"});
  ASSERT_GT(server.port(), 0);
  auto s = settings(server.port());
  EmailAlerts alerts(s, {core::systemClock(), metrics_, nullptr, "render-07"});
  alerts.start(logs_.get("engine"));
  for (int i = 0; i < 20; ++i) {
    alerts.handler()->emit(
        {std::chrono::system_clock::now(), "engine", core::LogLevel::Error, "slow " + std::to_string(i), {}});
  }
  // Every emit has returned, yet the server (2 s per DATA) has taken nothing: they were queued.
  EXPECT_TRUE(server.messages().empty());
  ASSERT_TRUE(server.waitForMessages(1, 20s));
  alerts.stop(1s);  // bounded although 19 mails still wait for a 2 s server each
  EXPECT_LT(server.messages().size(), 20u);
  EXPECT_GT(metrics_->value("sgeventd_emails_dropped_total", {{"reason", "shutdown"}}), 0);
}

TEST_F(SmtpTest, RefusedRecipientsAndDataAreDroppedNotRetried) {
  SmtpServer server(dir_.path() / "server", {"--reject-rcpt", "gone@example.com"});
  ASSERT_GT(server.port(), 0);
  auto s = settings(server.port());
  auto out = sender(s);
  RecipientBook book(s.to);
  book.set("gone", {Recipients::Mode::Addresses, {"gone@example.com"}});
  book.set("half", {Recipients::Mode::Addresses, {"gone@example.com", "here@example.com"}});
  push("plugin.gone", "to nobody", book);
  push("plugin.half", "to half", book);
  const auto next = out->pump();
  EXPECT_FALSE(next);  // nothing to retry
  ASSERT_TRUE(server.waitForMessages(1));
  EXPECT_EQ(server.messages()[0]["rcpt_tos"], json::array({"here@example.com"}));
  EXPECT_NE(bodyOf(server.messages()[0]["data"]).find("1 earlier alert mail was refused"), std::string::npos);
  EXPECT_EQ(metrics_->value("sgeventd_emails_dropped_total", {{"reason", "rejected"}}), 1);
  EXPECT_NE(logText().find("refused an e-mail alert"), std::string::npos) << logText();
  EXPECT_NE(logText().find("550"), std::string::npos) << logText();

  SmtpServer refusing(dir_.path() / "refusing", {"--reject-data"});
  auto out2 = sender(settings(refusing.port()));
  push("engine", "refused", book);
  EXPECT_FALSE(out2->pump());
  EXPECT_EQ(metrics_->value("sgeventd_emails_dropped_total", {{"reason", "rejected"}}), 2);
  EXPECT_TRUE(refusing.messages().empty());
}

TEST_F(SmtpTest, StartTlsWithASelfSignedCertificateWithoutALogin) {
  const auto cert = certificate();
  SmtpServer server(dir_.path() / "server", {"--cert", cert, "--key", dir_.file("key.pem")});
  ASSERT_GT(server.port(), 0) << server.stderrText();
  auto s = settings(server.port());
  s.useTls = true;
  s.tlsCaFile = cert;
  auto out = sender(s);
  RecipientBook book(s.to);
  push("engine", "over TLS", book);
  out->pump();
  ASSERT_TRUE(server.waitForMessages(1)) << logText() << server.stderrText();
  EXPECT_TRUE(server.messages()[0]["tls"].get<bool>());

  // The certificate is not trusted without the CA file: nothing goes out in clear text instead.
  s.tlsCaFile.reset();
  auto untrusting = sender(s);
  push("engine", "not trusted", book);
  EXPECT_TRUE(untrusting->pump());  // a retry is due
  EXPECT_TRUE(untrusting->failing());
  EXPECT_EQ(server.messages().size(), 1u);
}

TEST_F(SmtpTest, ALoginOverStartTlsAndThePasswordIsNeverLogged) {
  const auto cert = certificate();
  SmtpServer server(dir_.path() / "server",
                    {"--cert", cert, "--key", dir_.file("key.pem"), "--auth", "sgmail:s3cret-pw"});
  ASSERT_GT(server.port(), 0) << server.stderrText();
  auto s = settings(server.port());
  s.useTls = true;
  s.tlsCaFile = cert;
  s.username = "sgmail";
  s.password = "wrong-pw";
  auto refused = sender(s);
  RecipientBook book(s.to);
  push("engine", "bad login", book);
  EXPECT_FALSE(refused->pump());  // a refused login is not retried in a loop
  EXPECT_EQ(logs_.sink().count("refused an e-mail alert"), 1u) << logText();

  s.password = "s3cret-pw";
  auto out = sender(s);
  push("engine", "good login", book);
  out->pump();
  ASSERT_TRUE(server.waitForMessages(1)) << logText() << server.stderrText();
  EXPECT_EQ(server.messages()[0]["login"], "sgmail");
  EXPECT_TRUE(server.messages()[0]["tls"].get<bool>());
  EXPECT_EQ(logText().find("s3cret-pw"), std::string::npos);
  EXPECT_EQ(logText().find("wrong-pw"), std::string::npos);
}

TEST(SmtpUrl, Port465IsImplicitTlsAndIpv6IsBracketed) {
  config::EmailSettings s;
  s.server = "mail.example.com";
  s.port = 465;
  EXPECT_EQ(smtpUrl(s), "smtps://mail.example.com:465");
  s.port = 587;
  EXPECT_EQ(smtpUrl(s), "smtp://mail.example.com:587");
  s.server = "::1";
  EXPECT_EQ(smtpUrl(s), "smtp://[::1]:587");
}
