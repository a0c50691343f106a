// The isolation keys, shared by [daemon] (the default of every plugin) and [plugin:NAME] (one plugin's):
// where callbacks run, and the limits a worker process runs under.
#include <cctype>
#include <limits>

#include "config/sections.h"

namespace sgeventd::config {

Expected<std::int64_t, std::string> parseByteSize(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
    ++digits;
  }
  const std::string unit = text.substr(digits);
  int shift = 0;
  if (unit == "k" || unit == "K") {
    shift = 10;
  } else if (unit == "m" || unit == "M") {
    shift = 20;
  } else if (unit == "g" || unit == "G") {
    shift = 30;
  } else if (!unit.empty()) {
    return unexpected(inQuotes(text) + " is not a size (write bytes, or a number followed by K, M or G)");
  }
  if (digits == 0 || digits > 15) {
    return unexpected(inQuotes(text) + " is not a size (write bytes, or a number followed by K, M or G)");
  }
  const std::int64_t number = std::stoll(text.substr(0, digits));
  if (number > (std::numeric_limits<std::int64_t>::max() >> shift)) {
    return unexpected(inQuotes(text) + " is out of range");
  }
  return number << shift;
}

const std::vector<Key<IsolationSettings>>& isolationKeys() {
  using I = IsolationSettings;
  using K = const KeyContext;
  static const std::vector<Key<IsolationSettings>> keys = {
      {"isolation", Need::Optional, Parser::choice({"thread", "process"}), "thread",
       "thread: callbacks run in the daemon's own threads; process: in a worker process (`sgeventd "
       "worker`) that may crash, hang or leak without touching the other plugins",
       [](const Value& v, I& i, K&) { i.process = v.choice == "process"; }},
      {"worker_group", Need::Optional, Parser::text(), "",
       "with isolation = process, plugins naming the same group share one worker process (one Python "
       "interpreter); empty: the plugin has a worker of its own",
       [](const Value& v, I& i, K&) { i.workerGroup = v.text; }},
      {"callback_timeout", Need::Optional, Parser::seconds(0, 7 * 24 * 3600), "",
       "seconds one callback may run; past it a worker process is killed and the attempt timed out, a "
       "thread is reported stuck; unset or 0: no limit",
       [](const Value& v, I& i, K&) {
         if (v.seconds > 0) {
           i.callbackTimeout = v.millis();
         } else {
           i.callbackTimeout.reset();
         }
       }},
      {"worker_memory_limit", Need::Optional, Parser::text(), "",
       "the address space a worker process may use (RLIMIT_AS): bytes, or a number with K, M or G; an "
       "allocation beyond it fails in the plugin; unset: no limit",
       [](const Value& v, I& i, K& k) {
         if (v.text.empty()) {
           i.memoryLimit.reset();
           return;
         }
         auto bytes = parseByteSize(v.text);
         if (!bytes) {
           k.error(bytes.error());
         } else if (*bytes < (std::int64_t{128} << 20)) {
           // An idle worker with a Python plugin maps about 60M; below twice that it cannot do much.
           k.error(inQuotes(v.text) + " is below the floor of 128M (an idle worker maps about 60M)");
         } else {
           i.memoryLimit = *bytes;
         }
       }},
      {"worker_max_events", Need::Optional, Parser::integer(0, std::numeric_limits<std::int64_t>::max()), "",
       "a worker process is restarted, between events, after this many events (for plugins that leak); "
       "unset or 0: never",
       [](const Value& v, I& i, K&) {
         if (v.integer > 0) {
           i.maxEvents = v.integer;
         } else {
           i.maxEvents.reset();
         }
       }},
      {"on_crash", Need::Optional, Parser::choice({"deactivate", "isolate"}), "deactivate",
       "a thread-mode plugin that crashed the daemon retry_attempts times on one event is deactivated, or "
       "with isolate moved to a worker process",
       [](const Value& v, I& i, K&) { i.isolateOnCrash = v.choice == "isolate"; }},
  };
  return keys;
}

}  // namespace sgeventd::config
