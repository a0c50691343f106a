// The benchmark's plugin: one callback that matches every event and does nothing, so the figure is the
// daemon's own cost per event (fetch, decode, dispatch, checkpoint).
#include <sgeventd/plugin.hpp>

namespace {

void registerCallbacks(sgeventd::sdk::Registrar& reg) {
  reg.registerCallback("noop", "bench", "",
                       [](const sgeventd::sdk::Event&, sgeventd::sdk::Logger&, sgeventd::sdk::Connection&,
                          const sgeventd::sdk::Json&) {});
}

}  // namespace

SGEVENTD_PLUGIN(registerCallbacks)
