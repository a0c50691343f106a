// The sender on a manual clock with a recording transport: coalescing, the hourly cap, retry with
// backoff logged once, drops counted and reported, the stop bound.
#include <gtest/gtest.h>

#include "alerts/alert_sender.h"
#include "core/memory_log.h"
#include "core/metrics_registry.h"
#include "support.h"

using namespace sgeventd;
using namespace sgeventd::alerts;
using namespace sgeventd::alerts::testing;
using namespace std::chrono_literals;

namespace {

class SenderTest : public ::testing::Test {
 protected:
  void SetUp() override { make(); }

  void make(std::chrono::milliseconds window = 60s, int perHour = 30, int queueSize = 10) {
    settings_.enabled = true;
    settings_.server = "mail.example.com";
    settings_.from = "SG <sg@example.com>";
    settings_.to = {"team@example.com"};
    settings_.subject = "[SG]";
    settings_.coalesceWindow = window;
    settings_.maxPerHour = perHour;
    settings_.queueSize = queueSize;
    queue_ = std::make_shared<AlertQueue>(static_cast<std::size_t>(queueSize));
    SenderDeps deps;
    deps.queue = queue_;
    deps.transport = std::make_unique<FakeTransport>(transport_);
    deps.clock = clock_;
    deps.metrics = metrics_;
    deps.host = "render-07.studio.example";
    deps.seed = 42;
    sender_ = std::make_unique<AlertSender>(settings_, std::move(deps));
    sender_->setLog(logs_.get("engine"));
  }

  Alert alert(const std::string& message, const std::string& logger = "engine") {
    Alert a;
    a.time = clock_->now();
    a.logger = logger;
    a.level = core::LogLevel::Error;
    a.message = message;
    a.path = "/src/x.cpp";
    a.function = "f";
    a.line = 7;
    a.to = {"team@example.com"};
    return a;
  }
  std::vector<OutgoingMail> mails() {
    std::lock_guard lock(transport_->mutex);
    return transport_->mails;
  }
  void script(std::initializer_list<SendResult> results) {
    std::lock_guard lock(transport_->mutex);
    transport_->script.insert(transport_->script.end(), results);
  }
  double dropped(const std::string& reason) {
    return metrics_->value("sgeventd_emails_dropped_total", {{"reason", reason}});
  }

  config::EmailSettings settings_;
  std::shared_ptr<ManualClock> clock_ = eveningClock();
  std::shared_ptr<FakeTransport::State> transport_ = std::make_shared<FakeTransport::State>();
  std::shared_ptr<core::MetricsRegistry> metrics_ = std::make_shared<core::MetricsRegistry>();
  core::MemoryLogFactory logs_;
  std::shared_ptr<AlertQueue> queue_;
  std::unique_ptr<AlertSender> sender_;
};

}  // namespace

TEST_F(SenderTest, AnAlertIsMailedAtOnceWithTheOriginalsSubjectAndBody) {
  queue_->push(alert("State write failed"));
  sender_->pump();
  const auto sent = mails();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].from, "<sg@example.com>");
  EXPECT_EQ(sent[0].to, std::vector<std::string>{"<team@example.com>"});
  EXPECT_EQ(headerOf(sent[0].data, "Subject"), "[SG] ERROR - SG event daemon on render-07.");
  EXPECT_EQ(headerOf(sent[0].data, "From"), "SG <sg@example.com>");
  EXPECT_EQ(headerOf(sent[0].data, "To"), "team@example.com");
  EXPECT_NE(headerOf(sent[0].data, "Message-ID").find("@render-07.studio.example>"), std::string::npos);
  const auto body = bodyOf(sent[0].data);
  EXPECT_NE(body.find("\nLogger: engine\nPath: /src/x.cpp\nFunction: f\nLine: 7\n\nState write failed\n"),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find("-- \n"), std::string::npos);  // nothing to add
  EXPECT_EQ(metrics_->value("sgeventd_emails_sent_total"), 1);
}

TEST_F(SenderTest, IdenticalErrorsWithinTheWindowBecomeOneMoreMailWithACount) {
  queue_->push(alert("boom"));
  sender_->pump();
  ASSERT_EQ(mails().size(), 1u);
  for (int i = 0; i < 5; ++i) {
    clock_->advance(5s);
    queue_->push(alert("boom"));
    queue_->push(alert("other"));  // a different record is its own mail, once
    sender_->pump();
  }
  EXPECT_EQ(mails().size(), 2u);  // "boom" and the first "other"; the rest are counted
  const auto next = sender_->pump();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, clock_->steadyNow() + 35s);  // the first window closes 60 s after the first "boom"
  clock_->advance(35s);
  sender_->pump();
  EXPECT_EQ(mails().size(), 3u);  // "boom"'s summary; "other" started 5 s later
  clock_->advance(5s);
  sender_->pump();
  const auto sent = mails();
  ASSERT_EQ(sent.size(), 4u);  // one summary per record that repeated
  int summaries = 0;
  for (std::size_t i = 2; i < sent.size(); ++i) {
    const auto body = bodyOf(sent[i].data);
    if (body.find("\n\nboom\n") != std::string::npos) {
      EXPECT_NE(body.find("The same record was logged 5 more times"), std::string::npos) << body;
      ++summaries;
    } else {
      EXPECT_NE(body.find("The same record was logged 4 more times"), std::string::npos) << body;
      ++summaries;
    }
  }
  EXPECT_EQ(summaries, 2);
  EXPECT_EQ(metrics_->value("sgeventd_emails_coalesced_total"), 9);
  // Quiet for a window: the next one is mailed at once again.
  clock_->advance(61s);
  sender_->pump();
  queue_->push(alert("boom"));
  sender_->pump();
  EXPECT_EQ(mails().size(), 5u);
}

TEST_F(SenderTest, ZeroWindowMailsEveryRecord) {
  make(0s);
  for (int i = 0; i < 3; ++i) {
    queue_->push(alert("boom"));
  }
  sender_->pump();
  EXPECT_EQ(mails().size(), 3u);
}

TEST_F(SenderTest, TheHourlyCapSuppressesAndTheNextMailSaysHowMany) {
  make(0s, 3);
  for (int i = 0; i < 5; ++i) {
    queue_->push(alert("e" + std::to_string(i)));
  }
  sender_->pump();
  EXPECT_EQ(mails().size(), 3u);
  EXPECT_EQ(dropped("cap"), 2);
  clock_->advance(59min);
  queue_->push(alert("still capped"));
  sender_->pump();
  EXPECT_EQ(mails().size(), 3u);
  clock_->advance(61s);  // an hour after the first mails
  queue_->push(alert("free again"));
  sender_->pump();
  const auto sent = mails();
  ASSERT_EQ(sent.size(), 4u);
  const auto body = bodyOf(sent[3].data);
  EXPECT_NE(body.find("free again"), std::string::npos);
  EXPECT_NE(body.find("3 earlier alert mails were not sent: at most 3 are sent per hour"), std::string::npos)
      << body;
  queue_->push(alert("after"));
  sender_->pump();
  EXPECT_EQ(bodyOf(mails().back().data).find("earlier alert"), std::string::npos);  // reported once
}

TEST_F(SenderTest, AFailedSendIsRetriedWithBackoffAndLoggedOnce) {
  script({{SendResult::Kind::Transient, "Couldn't connect to server"},
          {SendResult::Kind::Transient, "Couldn't connect to server"},
          {SendResult::Kind::Transient, "Couldn't connect to server"}});
  queue_->push(alert("first"));
  auto next = sender_->pump();
  ASSERT_TRUE(next);
  EXPECT_EQ(mails().size(), 1u);
  // core::Backoff: the first retry waits between base/2 and base (2 s).
  EXPECT_GE(*next - clock_->steadyNow(), 1s);
  EXPECT_LE(*next - clock_->steadyNow(), 2s);
  EXPECT_TRUE(sender_->failing());
  // New alerts wait behind it; nothing is tried before the retry is due.
  queue_->push(alert("second"));
  sender_->pump();
  EXPECT_EQ(mails().size(), 1u);
  auto previousWait = *next - clock_->steadyNow();
  for (int attempt = 2; attempt <= 3; ++attempt) {
    clock_->advance(*next - clock_->steadyNow());
    next = sender_->pump();
    ASSERT_TRUE(next);
    EXPECT_EQ(mails().size(), static_cast<std::size_t>(attempt));
    const auto wait = *next - clock_->steadyNow();
    EXPECT_LE(wait, std::chrono::milliseconds(2000) * (1 << (attempt - 1)));
    EXPECT_GE(wait, std::chrono::milliseconds(1000) * (1 << (attempt - 1)));
    previousWait = wait;
  }
  (void)previousWait;
  clock_->advance(*next - clock_->steadyNow());
  sender_->pump();  // the server is back: both go out, in order
  const auto sent = mails();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_NE(bodyOf(sent[3].data).find("first"), std::string::npos);
  EXPECT_NE(bodyOf(sent[4].data).find("second"), std::string::npos);
  EXPECT_FALSE(sender_->failing());
  EXPECT_EQ(logs_.sink().count("Could not send an e-mail alert through smtp://mail.example.com:25: Couldn't "
                               "connect to server"),
            1u);
  EXPECT_EQ(logs_.sink().count("E-mail alerts are delivered again"), 1u);
  EXPECT_EQ(metrics_->value("sgeventd_emails_sent_total"), 2);
}

TEST_F(SenderTest, ARejectedMailIsDroppedCountedAndReportedInTheNextOne) {
  script({{SendResult::Kind::Rejected, "RCPT failed: 550 (server reply 550)"},
          {SendResult::Kind::Rejected, "RCPT failed: 550 (server reply 550)"}});
  make(0s);
  queue_->push(alert("a"));
  queue_->push(alert("b"));
  queue_->push(alert("c"));
  sender_->pump();
  const auto sent = mails();
  ASSERT_EQ(sent.size(), 3u);  // no retry for a refusal
  EXPECT_NE(bodyOf(sent[2].data).find("2 earlier alert mails were refused by the mail server"),
            std::string::npos);
  EXPECT_EQ(dropped("rejected"), 2);
  EXPECT_EQ(logs_.sink().count("refused an e-mail alert"), 1u);
}

TEST_F(SenderTest, AFullOutboxDropsTheNewestAndTheNextMailSaysSo) {
  make(0s, 0, 3);
  script({{SendResult::Kind::Transient, "down"}});
  queue_->push(alert("one"));
  auto next = sender_->pump();  // fails; "one" waits
  for (int i = 0; i < 5; ++i) {
    queue_->push(alert("more" + std::to_string(i)));
    sender_->pump();
  }
  EXPECT_EQ(sender_->outboxSize(), 3u);
  EXPECT_EQ(dropped("queue_full"), 3);
  clock_->advance(*next - clock_->steadyNow());
  sender_->pump();
  const auto sent = mails();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_NE(bodyOf(sent[1].data).find("3 earlier alerts were dropped because too many were waiting"),
            std::string::npos)
      << bodyOf(sent[1].data);
}

TEST_F(SenderTest, TheQueueItselfDropsWhenFullAndNeverWaits) {
  AlertQueue queue(2);
  EXPECT_TRUE(queue.push(alert("1")));
  EXPECT_TRUE(queue.push(alert("2")));
  EXPECT_FALSE(queue.push(alert("3")));
  EXPECT_EQ(queue.takeDropped(), 1u);
  EXPECT_EQ(queue.takeAll().size(), 2u);
  EXPECT_EQ(queue.takeDropped(), 0u);
}

TEST_F(SenderTest, DrainSendsPendingSummariesAndGivesUpOnADeadServer) {
  queue_->push(alert("boom"));
  sender_->pump();
  clock_->advance(1s);
  queue_->push(alert("boom"));
  sender_->pump();
  EXPECT_EQ(mails().size(), 1u);
  EXPECT_EQ(sender_->drain(clock_->steadyNow() + 5s), 0u);
  ASSERT_EQ(mails().size(), 2u);
  EXPECT_NE(bodyOf(mails()[1].data).find("logged 1 more time from"), std::string::npos);

  make();
  script({{SendResult::Kind::Transient, "down"}});
  queue_->push(alert("x"));
  queue_->push(alert("y"));
  EXPECT_EQ(sender_->drain(clock_->steadyNow() + 5s), 2u);  // one try, no waiting for a retry
  EXPECT_EQ(dropped("shutdown"), 2);
  EXPECT_EQ(logs_.sink().count("2 e-mail alerts were not sent before the daemon stopped"), 1u);
  std::lock_guard lock(transport_->mutex);
  EXPECT_LE(transport_->timeouts.back(), 5s);  // the send itself is bounded by what is left
}

TEST_F(SenderTest, ARepeatArrivingAsItsWindowClosesDoesNotLoseTheCount) {
  queue_->push(alert("boom"));
  sender_->pump();
  clock_->advance(10s);
  queue_->push(alert("boom"));
  sender_->pump();
  clock_->advance(50s);  // the window has just closed, and the record comes again
  queue_->push(alert("boom"));
  sender_->pump();
  const auto sent = mails();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(bodyOf(sent[1].data).find("logged 1 more time from"), std::string::npos) << bodyOf(sent[1].data);
  EXPECT_EQ(metrics_->value("sgeventd_emails_coalesced_total"), 2);  // the third waits for the next window
}
