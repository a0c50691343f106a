// status_rollup: when a Task's status changes to "fin", and every Task of the same entity (Shot, Asset...)
// is "fin", sets that entity's status to "fin" too. A write-back plugin using its own connection.
//
// Credentials: SGDAEMON_STATUSROLLUP_NAME / SGDAEMON_STATUSROLLUP_KEY (as the original example plugins),
// defaulting to "status_rollup" and "" for the simulated site.
#include <sgeventd/plugin.hpp>

#include <cstdlib>

namespace sdk = sgeventd::sdk;

namespace {

constexpr const char* kFinal = "fin";

std::string envOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

void rollUp(const sdk::Event& event, sdk::Logger& log, sdk::Connection& sg, const sdk::Json&) {
  const auto task = event.entity();
  const auto meta = event.meta();
  if (!task || task->type != "Task" || !meta.is_object() || meta.value("new_value", sdk::Json()) != kFinal) {
    return;
  }
  // value() throws sdk::CallError on a failed call: a transient one (the site busy or unreachable) makes
  // the daemon retry the event later, any other fails the callback.
  const sdk::Json found = sg.findOne("Task", {{"id", "is", task->id}}, {"entity"}).value();
  if (found.is_null() || !found.contains("entity") || !found["entity"].is_object()) {
    log.debug("Task ", task->id, " has no entity; nothing to roll up");
    return;
  }
  const sdk::Json parent = found["entity"];
  const std::string parentType = parent.value("type", "");
  const std::int64_t parentId = parent.value("id", std::int64_t{0});
  const sdk::Json link = {{"type", parentType}, {"id", parentId}};

  const sdk::Json siblings = sg.find("Task", {{"entity", "is", link}}, {"sg_status_list"}).value();
  for (const auto& sibling : siblings) {
    if (sibling.value("sg_status_list", sdk::Json()) != kFinal) {
      log.debug(parentType, " ", parentId, " still has unfinished tasks (Task ", sibling.value("id", 0), ")");
      return;
    }
  }
  const sdk::Json current = sg.findOne(parentType, {{"id", "is", parentId}}, {"sg_status_list"}).value();
  if (!current.is_null() && current.value("sg_status_list", sdk::Json()) == kFinal) {
    return;  // already final: no write, no extra event
  }
  sg.update(parentType, parentId, {{"sg_status_list", kFinal}}).value();
  log.info("All ", siblings.size(), " tasks of ", parentType, " ", parentId, " are final (event ", event.id(),
           "): set its sg_status_list to fin");
}

void registerCallbacks(sdk::Registrar& reg) {
  reg.registerCallback("rollUp", envOr("SGDAEMON_STATUSROLLUP_NAME", "status_rollup"),
                       envOr("SGDAEMON_STATUSROLLUP_KEY", ""), rollUp,
                       {{"Shotgun_Task_Change", {"sg_status_list"}}});
}

}  // namespace

SGEVENTD_PLUGIN(registerCallbacks)
