#include "engine/control.h"

namespace sgeventd::engine {

std::string_view controlActionName(ControlRequest::Action action) {
  switch (action) {
    case ControlRequest::Action::Enable:
      return "enable";
    case ControlRequest::Action::Disable:
      return "disable";
    case ControlRequest::Action::Reload:
      return "reload";
    case ControlRequest::Action::SetCursor:
      return "checkpoint";
    case ControlRequest::Action::Replay:
      return "replay";
  }
  return "enable";
}

}  // namespace sgeventd::engine
