#pragma once
// An in-process simulated site served on 127.0.0.1 (port 0), and a client logged in as its script.
#include <gtest/gtest.h>

#include <memory>

#include "shotgrid/client.h"
#include "sim/server.h"
#include "sim/site.h"

namespace sgeventd::integration {

class SimSite : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = sim::Site::open({});
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    site = std::move(*opened);
    server = std::make_unique<sim::Server>(*site);
    auto started = server->start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  shotgrid::ClientOptions clientOptions() const {
    shotgrid::ClientOptions o;
    o.server = server->url();
    o.auth = {site->scripts().at(0).name, site->scripts().at(0).key, std::nullopt, std::nullopt};
    o.connectTimeout = std::chrono::milliseconds(2000);
    o.totalTimeout = std::chrono::milliseconds(10000);
    o.retry.maxAttempts = 4;
    o.retry.backoff = {std::chrono::milliseconds(1), std::chrono::milliseconds(5)};
    o.retry.maxRetryAfter = std::chrono::milliseconds(50);
    return o;
  }

  std::unique_ptr<sim::Site> site;
  std::unique_ptr<sim::Server> server;
};

}  // namespace sgeventd::integration
