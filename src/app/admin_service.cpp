#include "app/admin_service.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/admin_client.h"
#include "core/clock.h"

namespace sgeventd::app {

std::unique_ptr<AdminService> AdminService::start(const config::DaemonConfig& c, engine::Engine& engine,
                                                  store::StateStore& store,
                                                  std::shared_ptr<core::MetricsRegistry> metrics,
                                                  core::Shutdown& shutdown, core::LoggerPtr log,
                                                  core::TimePoint startedAt, admin::BrokerViews broker) {
  if (c.admin.listen.empty()) {
    log->info("The admin server is off ([admin] listen is empty).");
    return nullptr;
  }
  admin::AdminOptions options;
  options.host = c.admin.host;
  options.port = c.admin.port;
  options.loopback = c.admin.loopback;
  options.token = c.admin.token;
  options.fetchInterval = c.fetchInterval;
  options.stuckAfter = c.admin.stuckAfter;
  admin::AdminDeps deps{
      .status = [&engine] { return engine.status(); },
      .control = [&engine](const engine::ControlRequest& r) { return engine.control(r); },
      .pollNow = [&engine] { engine.pollNow(); },
      .store = store,
      .metrics = std::move(metrics),
      .clock = core::systemClock(),
      .log = log,
      .facts = {c.server, SGEVENTD_VERSION, static_cast<long>(::getpid()), startedAt},
      .stopping = [&shutdown] { return shutdown.requested(); },
      .broker = std::move(broker),
  };
  auto server = std::make_unique<admin::AdminServer>(std::move(options), std::move(deps));
  if (auto started = server->start(); !started) {
    log->error(
        fmt::format("The admin server cannot listen on {}: {}. Events are processed without it "
                    "(no API, /metrics or status page).",
                    c.admin.listen, started.error().message));
    return nullptr;
  }
  const std::string file = adminAddressFile(c);
  {
    // Written whole, then renamed: a reader never sees half an address.
    const std::string partial = file + ".tmp";
    std::ofstream out(partial, std::ios::trunc);
    out << server->url() << '\n';
    out.close();
    std::error_code ec;
    std::filesystem::rename(partial, file, ec);
  }
  log->info(fmt::format(
      "Admin API, /metrics and the status page at {}/ ({})", server->url(),
      c.admin.token.empty() ? "no token: changes are allowed from this machine" : "changes need the token"));
  return std::unique_ptr<AdminService>(new AdminService(std::move(server), file));
}

AdminService::~AdminService() {
  server_->stop();
  std::error_code ec;
  std::filesystem::remove(addressFile_, ec);
}

}  // namespace sgeventd::app
