#pragma once
// What an operator can do to one plugin while the daemon runs (the admin API and the CLI). A request is
// checked by the engine, posted to the plugin's lane and applied there between two events, so it never
// races a callback; what it changes is persisted and outlives a restart.
#include <cstdint>
#include <string>
#include <string_view>

namespace sgeventd::engine {

struct ControlRequest {
  enum class Action {
    Enable,     // an operator-disabled or deactivated plugin receives events again
    Disable,    // stops receiving events; its position is kept
    Reload,     // loads its file again (build, validate, swap)
    SetCursor,  // rewind or skip: every event after `eventId` is (re)delivered
    Replay,     // runs the event of failure record `failureId` through its callback once
  };
  Action action = Action::Enable;
  std::string plugin;  // the plugin's name, or its "collection::name" key when names repeat
  std::int64_t eventId = 0;
  std::int64_t failureId = 0;
};

std::string_view controlActionName(ControlRequest::Action action);  // "enable", "disable", ...

// Error::code of a refused request, the HTTP status the admin API answers with.
enum class ControlError : int { BadRequest = 400, NotFound = 404, Conflict = 409 };

}  // namespace sgeventd::engine
