#include "broker/subjects.h"

#include <cctype>
#include <charconv>

namespace sgeventd::broker {

std::string subjectToken(std::string_view text) {
  if (text.empty()) {
    return "none";
  }
  std::string token;
  token.reserve(text.size());
  for (const char ch : text) {
    const bool special =
        ch == '.' || ch == '*' || ch == '>' || std::isspace(static_cast<unsigned char>(ch)) != 0;
    token.push_back(special ? '_' : ch);
  }
  return token;
}

std::string siteSubjects(std::string_view site) {
  return std::string(kSubjectPrefix) + "." + subjectToken(site) + ".>";
}

std::string eventSubject(std::string_view site, const core::Event& event) {
  const std::string_view entityType =
      event.entity ? std::string_view(event.entity->type) : std::string_view();
  return std::string(kSubjectPrefix) + "." + subjectToken(site) + "." + subjectToken(entityType) + "." +
         subjectToken(event.eventType);
}

std::string messageId(std::string_view site, std::int64_t eventId) {
  return std::string(site) + ":" + std::to_string(eventId);
}

std::optional<std::int64_t> eventIdOf(std::string_view site, std::string_view id) {
  if (id.size() <= site.size() + 1 || id.substr(0, site.size()) != site || id[site.size()] != ':') {
    return std::nullopt;
  }
  const std::string_view digits = id.substr(site.size() + 1);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace sgeventd::broker
