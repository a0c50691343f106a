#pragma once
// The admin server as a service of the daemon: started once the engine runs, stopped before it. It
// writes the address it bound beside the state database (listen = 127.0.0.1:0 picks a free port), so
// the command line and tests find it; the file goes when the server stops.
#include <memory>

#include "admin/admin_server.h"
#include "config/daemon_config.h"
#include "core/metrics_registry.h"
#include "core/shutdown.h"
#include "engine/engine.h"
#include "store/state_store.h"

namespace sgeventd::app {

class AdminService {
 public:
  // nullptr when [admin] listen is empty, or when the address cannot be bound (logged at ERROR: the
  // daemon processes events without its admin server rather than not at all).
  static std::unique_ptr<AdminService> start(const config::DaemonConfig& c, engine::Engine& engine,
                                             store::StateStore& store,
                                             std::shared_ptr<core::MetricsRegistry> metrics,
                                             core::Shutdown& shutdown, core::LoggerPtr log,
                                             core::TimePoint startedAt, admin::BrokerViews broker = {});
  ~AdminService();
  AdminService(const AdminService&) = delete;
  AdminService& operator=(const AdminService&) = delete;

  std::string url() const { return server_->url(); }

 private:
  AdminService(std::unique_ptr<admin::AdminServer> server, std::string addressFile)
      : server_(std::move(server)), addressFile_(std::move(addressFile)) {}
  std::unique_ptr<admin::AdminServer> server_;
  std::string addressFile_;
};

}  // namespace sgeventd::app
