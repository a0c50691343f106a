// The handler on the logging side: which records are queued and for whom, that logging never waits for
// the sender, and that the log factory puts it on engine and plugin.<name> only.
#include <gtest/gtest.h>

#include <condition_variable>

#include "../support/temp_dir.h"
#include "alerts/email_alerts.h"
#include "alerts/email_handler.h"
#include "core/memory_log.h"
#include "core/metrics_registry.h"
#include "logging/file_log_factory.h"
#include "support.h"

using namespace sgeventd;
using namespace sgeventd::alerts;
using namespace sgeventd::alerts::testing;
using namespace std::chrono_literals;

namespace {

logging::Record record(std::string_view logger, core::LogLevel level, std::string_view message) {
  return {std::chrono::system_clock::now(), logger, level, message, {"/p.py", "fn", 12}};
}

struct HandlerFixture : ::testing::Test {
  std::shared_ptr<AlertQueue> queue = std::make_shared<AlertQueue>(4);
  std::shared_ptr<RecipientBook> book = std::make_shared<RecipientBook>(std::vector<std::string>{"ops@x"});
  std::shared_ptr<core::MetricsRegistry> metrics = std::make_shared<core::MetricsRegistry>();
  EmailHandler handler{queue, book,
                       metrics->counter("sgeventd_emails_dropped_total", "", {{"reason", "queue_full"}})};
};

}  // namespace

TEST_F(HandlerFixture, OnlyErrorAndAboveAreQueuedWithTheirSourcePlace) {
  handler.emit(record("engine", core::LogLevel::Warning, "w"));
  handler.emit(record("engine", core::LogLevel::Info, "i"));
  handler.emit(record("engine", core::LogLevel::Error, "e"));
  handler.emit(record("engine", core::LogLevel::Critical, "c"));
  const auto alerts = queue->takeAll();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].message, "e");
  EXPECT_EQ(alerts[0].path, "/p.py");
  EXPECT_EQ(alerts[0].function, "fn");
  EXPECT_EQ(alerts[0].line, 12);
  EXPECT_EQ(alerts[0].to, std::vector<std::string>{"ops@x"});
  EXPECT_EQ(alerts[1].level, core::LogLevel::Critical);
}

TEST_F(HandlerFixture, PluginRecipientsFollowSetEmails) {
  book->set("quiet", {Recipients::Mode::Disabled, {}});
  book->set("team", {Recipients::Mode::Addresses, {"a@x", "b@x"}});
  book->set("team.sub", {Recipients::Mode::Default, {}});
  handler.emit(record("plugin.quiet.cb", core::LogLevel::Critical, "not mailed"));
  handler.emit(record("plugin.team", core::LogLevel::Error, "to the team"));
  handler.emit(record("plugin.team.onEvent", core::LogLevel::Critical, "callback of team"));
  handler.emit(record("plugin.team.sub.onEvent", core::LogLevel::Critical, "the dotted plugin"));
  handler.emit(record("plugin.unknown", core::LogLevel::Error, "a load failure"));
  const auto alerts = queue->takeAll();
  ASSERT_EQ(alerts.size(), 4u);
  EXPECT_EQ(alerts[0].to, (std::vector<std::string>{"a@x", "b@x"}));
  EXPECT_EQ(alerts[1].to, (std::vector<std::string>{"a@x", "b@x"}));
  EXPECT_EQ(alerts[2].to, std::vector<std::string>{"ops@x"});
  EXPECT_EQ(alerts[3].to, std::vector<std::string>{"ops@x"});
}

TEST_F(HandlerFixture, RecordsOfTheSenderThreadAreNeverQueued) {
  {
    SenderThreadScope scope;
    handler.emit(record("engine", core::LogLevel::Error, "could not send"));
  }
  EXPECT_TRUE(queue->takeAll().empty());
}

TEST_F(HandlerFixture, AFullQueueCountsInsteadOfWaiting) {
  for (int i = 0; i < 10; ++i) {
    handler.emit(record("engine", core::LogLevel::Error, "e" + std::to_string(i)));
  }
  EXPECT_EQ(queue->takeAll().size(), 4u);
  EXPECT_EQ(metrics->value("sgeventd_emails_dropped_total", {{"reason", "queue_full"}}), 6);
}

TEST(EmailAlertsLogFactory, TheHandlerIsOnEngineAndEachPluginLoggerOnce) {
  sgeventd::testing::TempDir dir;
  auto queue = std::make_shared<AlertQueue>(100);
  auto book = std::make_shared<RecipientBook>(std::vector<std::string>{"ops@x"});
  logging::LogSettings settings;
  settings.logPath = dir.path();
  settings.timingLog = true;
  settings.alerts = std::make_shared<EmailHandler>(queue, book, core::discardMetrics()->counter("d", ""));
  auto logs = logging::FileLogFactory::create(settings);
  ASSERT_TRUE(logs) << logs.error().message;
  (*logs)->get("engine")->error("engine error");
  (*logs)->get("plugin.demo")->critical("plugin error");
  (*logs)->get("plugin.demo.onEvent")->critical("callback error");
  (*logs)->get("timing")->error("not an alert logger");
  (*logs)->get("shotgun_api3")->error("nor this one");
  const auto alerts = queue->takeAll();
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0].logger, "engine");
  EXPECT_EQ(alerts[1].logger, "plugin.demo");
  EXPECT_EQ(alerts[2].logger, "plugin.demo.onEvent");
  // C++ records carry the daemon's own source place.
  EXPECT_NE(alerts[0].path.find("handler_test.cpp"), std::string::npos) << alerts[0].path;
  EXPECT_GT(alerts[0].line, 0);
}

namespace {

// Holds every send until released: a server that takes forever.
class StuckTransport final : public MailTransport {
 public:
  struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;
    int calls = 0;
  };
  explicit StuckTransport(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
  SendResult send(const OutgoingMail&, std::chrono::milliseconds) override {
    std::unique_lock lock(gate_->mutex);
    ++gate_->calls;
    gate_->cv.notify_all();
    gate_->cv.wait(lock, [&] { return gate_->open; });
    return {SendResult::Kind::Sent, ""};
  }

 private:
  std::shared_ptr<Gate> gate_;
};

}  // namespace

TEST(EmailAlertsThread, LoggingGoesOnWhileTheServerHangs) {
  config::EmailSettings settings;
  settings.from = "sg@x";
  settings.to = {"ops@x"};
  settings.subject = "[SG]";
  settings.coalesceWindow = 0ms;
  settings.queueSize = 50;
  auto gate = std::make_shared<StuckTransport::Gate>();
  auto metrics = std::make_shared<core::MetricsRegistry>();
  EmailAlerts alerts(settings, {core::systemClock(), metrics, std::make_unique<StuckTransport>(gate), "h"});
  auto log = std::make_shared<core::MemoryLogFactory>();
  alerts.start(log->get("engine"));
  logging::Record first = record("engine", core::LogLevel::Error, "first");
  alerts.handler()->emit(first);
  {
    std::unique_lock lock(gate->mutex);
    ASSERT_TRUE(gate->cv.wait_for(lock, 20s, [&] { return gate->calls == 1; }));
  }
  // The sender is inside a send that does not return; every record still returns from emit.
  for (int i = 0; i < 1000; ++i) {
    alerts.handler()->emit(record("engine", core::LogLevel::Error, "more " + std::to_string(i)));
  }
  {
    std::lock_guard lock(gate->mutex);
    EXPECT_EQ(gate->calls, 1);
    gate->open = true;
  }
  gate->cv.notify_all();
  alerts.stop(2s);
  EXPECT_GE(metrics->value("sgeventd_emails_dropped_total", {{"reason", "queue_full"}}), 1000 - 50);
}
