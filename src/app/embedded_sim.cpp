#include "app/embedded_sim.h"

#include <filesystem>

#include "sim/activity.h"
#include "sim/server.h"
#include "sim/site.h"

namespace sgeventd::app {

Expected<std::unique_ptr<EmbeddedSim>> EmbeddedSim::start(const config::DaemonConfig& config,
                                                          double eventsPerSecond) {
  std::unique_ptr<EmbeddedSim> out(new EmbeddedSim());
  sim::SiteOptions options;
  options.scripts.push_back({config.scriptName, config.scriptKey});
  options.acceptAnyScript = true;
  // The site lives beside the daemon's state, so a second run finds the log the saved positions refer to.
  options.dataFile =
      (std::filesystem::path(config.stateDatabase).parent_path() / "simulated-site.sqlite").string();
  auto site = sim::Site::open(options);
  if (!site) {
    return tl::unexpected(site.error());
  }
  out->site_ = std::move(*site);
  out->server_ = std::make_unique<sim::Server>(*out->site_, "127.0.0.1", 0);
  if (auto started = out->server_->start(); !started) {
    return tl::unexpected(started.error());
  }
  if (eventsPerSecond > 0) {
    out->activity_ = std::make_unique<sim::ActivityGenerator>(*out->site_, eventsPerSecond);
    if (auto started = out->activity_->start(); !started) {
      return tl::unexpected(started.error());
    }
  }
  return out;
}

EmbeddedSim::~EmbeddedSim() {
  activity_.reset();  // stop writing before the server and the site go
  server_.reset();
}

std::string EmbeddedSim::url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

std::string demoConfigPath(const std::string& argv0) {
  std::error_code ec;
  auto binary = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) {
    binary = std::filesystem::absolute(argv0, ec);
  }
  return (binary.parent_path() / "demo" / "shotgunEventDaemon.conf").string();
}

}  // namespace sgeventd::app
