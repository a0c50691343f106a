#pragma once
// A simulated site inside the daemon's process, for `demo` and `foreground --with-sim`: a real api3 HTTP
// server on 127.0.0.1 with simulated artists, so the daemon runs exactly as against a site.
#include <memory>
#include <string>

#include "config/daemon_config.h"
#include "core/expected.h"

namespace sgeventd::sim {
class Site;
class Server;
class ActivityGenerator;
}  // namespace sgeventd::sim

namespace sgeventd::app {

class EmbeddedSim {
 public:
  // Accepts the config's script and any script a plugin registers with (demo credentials are not secret).
  static Expected<std::unique_ptr<EmbeddedSim>> start(const config::DaemonConfig& config,
                                                      double eventsPerSecond);
  ~EmbeddedSim();
  std::string url() const;

 private:
  EmbeddedSim() = default;
  std::unique_ptr<sim::Site> site_;
  std::unique_ptr<sim::Server> server_;
  std::unique_ptr<sim::ActivityGenerator> activity_;
};

// The example config the build generates next to the binary: <binary folder>/demo/shotgunEventDaemon.conf.
std::string demoConfigPath(const std::string& argv0);

}  // namespace sgeventd::app
