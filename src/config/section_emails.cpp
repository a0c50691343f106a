// [emails]: mailing ERROR and CRITICAL records. Optional; `enabled` decides whether the other keys are
// read at all, so an unset %(SG_ED_EMAIL_PASSWORD)s does no harm while email is off (as the original).
#include "config/sections.h"

namespace sgeventd::config {

const std::vector<Key<EmailSettings>>& emailsKeys() {
  using E = EmailSettings;
  using K = const KeyContext;
  static const std::vector<Key<EmailSettings>> keys = {
      {"enabled", Need::Optional, Parser::boolean(), "",
       "mail ERROR and CRITICAL records; missing: on when server, from, to and subject are all set", nullptr},
      {"server", Need::Optional, Parser::text(), "", "SMTP host; required when enabled is true",
       [](const Value& v, E& e, K&) { e.server = v.text; }},
      {"from", Need::Optional, Parser::text(), "", "sender address; required when enabled is true",
       [](const Value& v, E& e, K&) { e.from = v.text; }},
      {"to", Need::Optional, Parser::text(), "", "comma-separated recipients; required when enabled is true",
       [](const Value& v, E& e, K&) { e.to = splitList(v.text); }},
      {"subject", Need::Optional, Parser::text(), "", "subject prefix; required when enabled is true",
       [](const Value& v, E& e, K&) { e.subject = v.text; }},
      {"port", Need::Optional, Parser::integer(1, 65535), "25", "SMTP port",
       [](const Value& v, E& e, K&) { e.port = static_cast<int>(v.integer); }},
      {"useTLS", Need::Optional, Parser::boolean(), "false",
       "require STARTTLS, with or without a login (the original only with username); port 465 is TLS "
       "from the first byte whatever this says",
       [](const Value& v, E& e, K&) { e.useTls = v.boolean; }},
      {"username", Need::Optional, Parser::text(), "", "SMTP login, used when not blank",
       [](const Value& v, E& e, K&) {
         if (!v.text.empty()) {
           e.username = v.text;
         }
       }},
      {"password", Need::Optional, Parser::text(), "", "SMTP password, used when not blank",
       [](const Value& v, E& e, K&) {
         if (!v.text.empty()) {
           e.password = v.text;
         }
       }},
      {"coalesce_window", Need::Optional, Parser::seconds(0, kMaxSeconds), "60",
       "sgeventd: identical errors within this many seconds are sent once more, as one mail with a count; 0: "
       "every record is mailed",
       [](const Value& v, E& e, K&) { e.coalesceWindow = v.millis(); }},
      {"max_per_hour", Need::Optional, Parser::integer(0, kIntMax), "30",
       "sgeventd: mails sent in any hour at most; the next mail says how many were suppressed; 0: no cap",
       [](const Value& v, E& e, K&) { e.maxPerHour = static_cast<int>(v.integer); }},
      {"queue_size", Need::Optional, Parser::integer(1, 100000), "200",
       "sgeventd: alerts waiting to be sent at most (an SMTP outage); more are dropped and counted",
       [](const Value& v, E& e, K&) { e.queueSize = static_cast<int>(v.integer); }},
      {"timeout", Need::Optional, Parser::seconds(0.1, 3600), "10",
       "sgeventd: the longest one SMTP conversation may take",
       [](const Value& v, E& e, K&) { e.timeout = v.millis(); }},
      {"tls_ca_file", Need::Optional, Parser::nonEmptyText(), "",
       "sgeventd: CA bundle to trust for the SMTP server's certificate instead of the system's",
       [](const Value& v, E& e, K& k) { e.tlsCaFile = k.resolve(v.text); }},
  };
  return keys;
}

void loadEmailsSection(const SectionSource& source, DaemonConfig& c) {
  SectionReader in(source.ini, source.report, source.baseDir, "emails", c);
  if (!in.present()) {
    return;  // the original requires [emails] enabled; sgeventd treats a missing section as "no email"
  }
  const auto& keys = emailsKeys();
  EmailSettings& e = c.emails;
  const Key<EmailSettings>& enabledKey = keyNamed(keys, "enabled");
  const auto read = in.value(enabledKey.name, enabledKey.need, enabledKey.parser);
  const std::optional<bool> enabled = read ? std::optional<bool>(read->boolean) : std::nullopt;
  if (enabled == false || (!read && read.error() == SectionReader::Outcome::Invalid)) {
    // Disabled (or unreadable, already reported): the other keys are not read.
    in.warnUnknownKeys(keys);
    return;
  }
  const bool explicitlyOn = enabled.value_or(false);
  for (const auto* name : {"server", "from", "to", "subject"}) {
    in.read(keyNamed(keys, name), e, explicitlyOn ? Need::Required : Need::Optional);
  }
  for (const auto* name : {"port", "useTLS", "username", "password", "coalesce_window", "max_per_hour",
                           "queue_size", "timeout", "tls_ca_file"}) {
    in.read(keyNamed(keys, name), e);
  }
  const bool complete = !e.server.empty() && !e.from.empty() && !e.to.empty() && !e.subject.empty();
  if (enabled.has_value()) {
    e.enabled = explicitlyOn && complete;
    if (explicitlyOn && !complete && in.has("server") && in.has("from") && in.has("to") &&
        in.has("subject")) {
      in.warning(in.line("enabled"), "enabled",
                 "is true but server, from, to or subject is empty: no email is sent (as the original)");
    }
  } else {
    e.enabled = complete;
    if (complete) {
      in.warning(0, "enabled",
                 "missing from [emails]; emails are sent because server, from, to and subject are set "
                 "(write \"enabled: true\" or \"enabled: false\" to say so)");
    }
  }
  if (e.enabled && e.useTls && !e.username) {
    in.warning(in.line("useTLS"), "useTLS", "STARTTLS is used without a login (the original skipped it)");
  }
  in.warnUnknownKeys(keys);
}

}  // namespace sgeventd::config
