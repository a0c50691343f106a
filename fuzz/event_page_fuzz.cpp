// An api3 read reply body through the event path's fast decoder (event_page.h) and through the general
// one that findEvents falls back to. Whatever the fast one takes, the general one must decode to the same
// events: the same ids and fields, the same JSON in the same key order, and text that is compact JSON.
// What it declines goes the general way in findEvents, so it has that meaning by construction.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shotgrid/client.h"
#include "shotgrid/event_codec.h"
#include "shotgrid/event_page.h"
#include "shotgrid/response.h"

namespace {

using namespace sgeventd::shotgrid;
using Ordered = nlohmann::ordered_json;

[[noreturn]] void differ(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fast and general decoders differ: %s: %s\n", what, detail.c_str());
  std::abort();
}

void sameRef(const std::optional<sgeventd::core::EntityRef>& fast,
             const std::optional<sgeventd::core::EntityRef>& general, const char* which) {
  if (fast.has_value() != general.has_value()) {
    differ(which, fast ? "only the fast one has it" : "only the general one has it");
  }
  if (fast && (fast->type != general->type || fast->id != general->id || fast->name != general->name)) {
    differ(which, fast->type + "/" + std::to_string(fast->id) + "/" + fast->name + " against " +
                      general->type + "/" + std::to_string(general->id) + "/" + general->name);
  }
}

// No whitespace outside strings.
bool compact(const std::string& text) {
  bool inString = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      return false;
    }
  }
  return true;
}

void sameJson(const std::string& fast, const std::string& general, const char* which) {
  const Ordered fastValue = Ordered::parse(fast, nullptr, false);
  if (fastValue.is_discarded()) {
    differ(which, "the fast text is not JSON: " + fast);
  }
  if (fastValue != Ordered::parse(general, nullptr, false)) {
    differ(which, fast + " against " + general);
  }
  if (!compact(fast)) {
    differ(which, "the fast text is not compact: " + fast);
  }
}

void compare(const HttpResponse& response) {
  const auto fast = decodeEventPage(response, 500);
  if (!fast) {
    return;
  }
  auto body = decodeOrderedResponse(response);
  if (!body) {
    differ("reply", "the general decoder refuses it: " + body.error().describe());
  }
  const auto general = eventsFromBody(std::move(*body));
  if (!general) {
    differ("reply", "the general decoder refuses it: " + general.error().describe());
  }
  if (fast->size() != general->size()) {
    differ("event count", std::to_string(fast->size()) + " against " + std::to_string(general->size()));
  }
  for (std::size_t i = 0; i < fast->size(); ++i) {
    const auto& f = (*fast)[i];
    const auto& g = (*general)[i];
    if (f.id != g.id || f.eventType != g.eventType || f.attributeName != g.attributeName ||
        f.sessionUuid != g.sessionUuid || f.createdAt != g.createdAt) {
      differ("scalar fields", "event " + std::to_string(f.id) + " against " + std::to_string(g.id));
    }
    sameRef(f.entity, g.entity, "entity");
    sameRef(f.user, g.user, "user");
    sameRef(f.project, g.project, "project");
    sameJson(f.json, g.json, "json");
    sameJson(f.metaJson, g.metaJson, "metaJson");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  HttpResponse response;
  response.status = 200;
  // Both ways in: a body without spare capacity (copied for simdjson) and one with the transport's.
  response.body.assign(reinterpret_cast<const char*>(data), size);
  response.body.shrink_to_fit();
  compare(response);
  response.body.reserve(size + kBodyPadding);
  compare(response);
  return 0;
}
