#include "plugins/plugin.h"

namespace sgeventd::plugins {

std::string_view invokeStatusName(InvokeStatus status) {
  switch (status) {
    case InvokeStatus::Ok:
      return "ok";
    case InvokeStatus::Retry:
      return "retry";
    case InvokeStatus::Error:
      return "error";
    case InvokeStatus::Crashed:
      return "crashed";
    case InvokeStatus::TimedOut:
      return "timed-out";
  }
  return "error";
}

}  // namespace sgeventd::plugins
