#include "broker/nats_handles.h"

namespace sgeventd::broker {

Error natsError(std::string_view what, natsStatus status, jsErrCode jsCode) {
  std::string message(what);
  message += ": ";
  message += natsStatus_GetText(status);
  if (jsCode != 0) {
    message += " (JetStream error " + std::to_string(static_cast<int>(jsCode)) + ")";
  }
  natsStatus last = NATS_OK;
  if (const char* text = nats_GetLastError(&last); text != nullptr && *text != '\0') {
    message += ": ";
    message += text;
  }
  return Error{std::move(message), jsCode != 0 ? static_cast<int>(jsCode) : static_cast<int>(status)};
}

}  // namespace sgeventd::broker
