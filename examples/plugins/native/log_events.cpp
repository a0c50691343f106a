// log_events: logs every event it receives at INFO (the native counterpart of the original's logArgs).
#include <sgeventd/plugin.hpp>

namespace sdk = sgeventd::sdk;

namespace {

void logEvent(const sdk::Event& event, sdk::Logger& log, sdk::Connection&, const sdk::Json&) {
  const auto entity = event.entity();
  log.info("event ", event.id(), " ", event.eventType(),
           " attribute=", event.attributeName().value_or("None"), " entity=",
           entity ? entity->type + " " + std::to_string(entity->id) + " (" + entity->name + ")" : "None");
}

void registerCallbacks(sdk::Registrar& reg) {
  // No ShotGrid call is made, so the script credentials only name the connection.
  reg.registerCallback("logEvent", "log_events", "", logEvent);
}

}  // namespace

SGEVENTD_PLUGIN(registerCallbacks)
