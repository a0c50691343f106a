#pragma once
// The names an event has in JetStream: its subject, sgevents.<site>.<entity type>.<event type>, and its
// message id, <site>:<event id>, which the server's duplicate window keys on.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"

namespace sgeventd::broker {

inline constexpr std::string_view kSubjectPrefix = "sgevents";

// One subject token: '.', '*', '>' and white space become '_'; an empty text becomes "none".
std::string subjectToken(std::string_view text);
// "sgevents.<site>.>": every subject of the site, the stream's subject filter.
std::string siteSubjects(std::string_view site);
// "sgevents.<site>.<entity type or none>.<event type>".
std::string eventSubject(std::string_view site, const core::Event& event);
std::string messageId(std::string_view site, std::int64_t eventId);
// The event id of a message id of this site; nullopt for another site's or a malformed one.
std::optional<std::int64_t> eventIdOf(std::string_view site, std::string_view messageId);

}  // namespace sgeventd::broker
