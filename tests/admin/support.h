#pragma once
// What the admin tests share: a clock the test moves, and a fake engine behind the admin server's seams
// (a status the test writes, the control requests it received, a state store in a temporary folder).
#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "admin/admin_server.h"
#include "core/memory_log.h"
#include "store/state_store.h"

namespace sgeventd::testing {

class TestClock final : public core::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  void advance(std::chrono::system_clock::duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point now_{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} +
                                             std::chrono::hours(10)};
};

inline engine::MemberStatus member(const std::string& name, std::int64_t cursor,
                                   engine::MemberState state = engine::MemberState::Active) {
  engine::MemberStatus m;
  m.id = plugins::PluginId{"/plugins", name, "/plugins/" + name + ".py"};
  m.cursor = cursor;
  m.loaded = state != engine::MemberState::LoadFailed;
  m.state = state;
  m.active = state == engine::MemberState::Active || state == engine::MemberState::Retrying;
  m.lastEventId = cursor;
  return m;
}

// An admin server on 127.0.0.1:0 over a fake engine.
class FakeDaemon {
 public:
  explicit FakeDaemon(std::string token = "", bool loopback = true) {
    auto opened = store::StateStore::open(dir_.file("state.sqlite"), store::OpenMode::Daemon);
    store_ = std::move(*opened);
    status_.fetcher.head = 100;
    status_.fetcher.lastContact = clock_->now();
    status_.headCreatedAt = clock_->now();
    status_.plugins.push_back(member("alpha", 100));
    status_.plugins.push_back(member("beta", 90, engine::MemberState::Disabled));
    status_.plugins[1].reason = "disabled by an operator";
    status_.plugins[1].lastEventCreatedAt = clock_->now() - std::chrono::seconds(42);
    admin::AdminOptions options;
    options.token = std::move(token);
    options.loopback = loopback;
    options.fetchInterval = std::chrono::milliseconds(1000);
    options.stuckAfter = std::chrono::seconds(60);
    admin::AdminDeps deps{
        .status =
            [this] {
              std::lock_guard lock(mutex_);
              return status_;
            },
        .control = [this](const engine::ControlRequest& r) -> Expected<void> {
          std::lock_guard lock(mutex_);
          requests_.push_back(r);
          if (r.plugin != "alpha" && r.plugin != "beta" && r.plugin != "/plugins::alpha" &&
              r.plugin != "/plugins::beta") {
            return fail("no plugin named " + r.plugin, 404);
          }
          if (r.action == engine::ControlRequest::Action::SetCursor && r.eventId > status_.fetcher.head) {
            return fail("beyond the head", 400);
          }
          return {};
        },
        .pollNow =
            [this] {
              std::lock_guard lock(mutex_);
              ++polls_;
            },
        .store = *store_,
        .metrics = metrics_,
        .clock = clock_,
        .log = logs_.get("engine"),
        .facts = {"https://site.example", "9.9.9", 1234, clock_->now() - std::chrono::seconds(3600)},
        .stopping = [] { return false; },
    };
    server_ = std::make_unique<admin::AdminServer>(options, std::move(deps));
    auto started = server_->start();
    if (!started) {
      throw std::runtime_error(started.error().message);
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  httplib::Client& http() { return *client_; }
  template <class F>
  void editStatus(F&& f) {
    std::lock_guard lock(mutex_);
    f(status_);
  }
  std::vector<engine::ControlRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int polls() {
    std::lock_guard lock(mutex_);
    return polls_;
  }
  store::StateStore& store() { return *store_; }
  TestClock& clock() { return *clock_; }
  core::MetricsRegistry& metrics() { return *metrics_; }
  admin::AdminServer& server() { return *server_; }
  core::MemoryLogSink& logs() { return logs_.sink(); }

 private:
  TempDir dir_;
  std::unique_ptr<store::StateStore> store_;
  std::shared_ptr<TestClock> clock_ = std::make_shared<TestClock>();
  std::shared_ptr<core::MetricsRegistry> metrics_ = std::make_shared<core::MetricsRegistry>();
  core::MemoryLogFactory logs_;
  std::mutex mutex_;
  engine::EngineStatus status_;
  std::vector<engine::ControlRequest> requests_;
  int polls_ = 0;
  std::unique_ptr<admin::AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

inline nlohmann::json bodyOf(const httplib::Result& r) {
  return nlohmann::json::parse(r->body, nullptr, false);
}

}  // namespace sgeventd::testing
