// An api3 reply body as the client decodes it: both JSON flavours, the results envelope, and each
// EventLogEntry record of a read decoded into an Event (the fetcher's path).
#include <cstddef>
#include <cstdint>
#include <string>

#include "shotgrid/client.h"
#include "shotgrid/event_codec.h"
#include "shotgrid/response.h"

namespace {

template <class J>
void decodeEntities(J&& results) {
  if (!results.is_object()) {
    return;
  }
  const auto entities = results.find("entities");
  if (entities == results.end() || !entities->is_array()) {
    return;
  }
  for (auto& record : *entities) {
    (void)sgeventd::shotgrid::eventFromRecord(std::move(record));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sgeventd::shotgrid;
  HttpResponse response;
  response.status = 200;
  response.body.assign(reinterpret_cast<const char*>(data), size);
  if (auto ordered = decodeOrderedResponse(response)) {
    decodeEntities(takeResults(std::move(*ordered)));
  }
  if (auto body = decodeResponse(response)) {
    const Json results = takeResults(std::move(*body));
    if (results.is_object() && results.contains("entities") && results["entities"].is_array()) {
      for (const auto& record : results["entities"]) {
        (void)eventFromJson(record);
      }
    }
  }
  return 0;
}
