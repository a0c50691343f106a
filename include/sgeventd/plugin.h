/* sgeventd native plugin ABI (C). The only header, with plugin.hpp, that a native plugin compiles against.
 *
 * A plugin is a shared library exporting one symbol, SGEVENTD_PLUGIN_ENTRY_NAME, returning a descriptor.
 * The daemon copies the library to a private path, dlopen()s it with RTLD_NOW | RTLD_LOCAL, checks
 * `api_version` (any version from 1 to the daemon's own) and `struct_size` (at least the size this header
 * declares), and calls `register_callbacks` once per loaded version, the way the Python API calls
 * registerCallbacks(reg).
 *
 * Rules across this boundary:
 *  - no C++ types and no exceptions: every function a plugin hands the daemon must not throw;
 *  - every string is NUL-terminated UTF-8; JSON arguments are JSON text;
 *  - ownership is written next to each pointer. "Borrowed" means: valid for the duration of the call
 *    that handed it to you, never free it.
 *
 * Build plugins with -fPIC -fvisibility=hidden -fno-gnu-unique (see docs/native-plugins.md): without
 * -fno-gnu-unique, template and inline statics become STB_GNU_UNIQUE and the library can never unload.
 */
#ifndef SGEVENTD_PLUGIN_H
#define SGEVENTD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version this header describes. A daemon loads plugins built for any version from 1 to its own.
 *  1: the first ABI.
 *  2: SGEVENTD_RETRY, a callback's transient failure; call() and find() report transient failures as
 *     SGEVENTD_RETRY to plugins built for version 2 (version-1 plugins keep getting SGEVENTD_ERROR).
 *     The structures are the same as in version 1. */
#define SGEVENTD_PLUGIN_API_VERSION 2u
#define SGEVENTD_PLUGIN_ENTRY_NAME "sgeventd_plugin_entry"

#if defined(__GNUC__)
#define SGEVENTD_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define SGEVENTD_PLUGIN_EXPORT
#endif

typedef enum sgeventd_status {
  SGEVENTD_OK = 0,
  SGEVENTD_ERROR = 1, /* a failure: the original's policy applies at once (stopOnError) */
  SGEVENTD_RETRY = 2  /* since version 2: a transient failure (site down or busy, network); the daemon
                         retries the event as its retry policy allows before treating it as an error */
} sgeventd_status;

/* Python logging levels. */
typedef enum sgeventd_log_level {
  SGEVENTD_LOG_DEBUG = 10,
  SGEVENTD_LOG_INFO = 20,
  SGEVENTD_LOG_WARNING = 30,
  SGEVENTD_LOG_ERROR = 40,
  SGEVENTD_LOG_CRITICAL = 50
} sgeventd_log_level;

/* Opaque handles owned by the daemon. */
typedef struct sgeventd_event sgeventd_event;           /* one event, for one callback invocation */
typedef struct sgeventd_logger sgeventd_logger;         /* a named logger ("plugin.<name>[.<cb>]") */
typedef struct sgeventd_connection sgeventd_connection; /* the callback's own ShotGrid connection */
typedef struct sgeventd_registrar sgeventd_registrar;

/* Which entity link of an event to read. */
typedef enum sgeventd_link {
  SGEVENTD_LINK_ENTITY = 0,
  SGEVENTD_LINK_USER = 1,
  SGEVENTD_LINK_PROJECT = 2
} sgeventd_link;

/* An entity link; both strings borrowed from the event (valid during the callback). */
typedef struct sgeventd_entity_ref {
  const char* type;
  int64_t id;
  const char* name; /* "" when the server sent none */
} sgeventd_entity_ref;

/* A callback: return SGEVENTD_OK; or SGEVENTD_ERROR, or SGEVENTD_RETRY for a transient failure, after
 * host->event_set_error(event, message). Any other value is SGEVENTD_ERROR. Must not throw. `user_data`
 * is what was registered with it. */
typedef sgeventd_status (*sgeventd_callback_fn)(const sgeventd_event* event, sgeventd_logger* logger,
                                                sgeventd_connection* sg, void* user_data);

/* Functions the daemon provides. The table is static in the daemon: it outlives every plugin. */
typedef struct sgeventd_host_api {
  uint32_t api_version; /* SGEVENTD_PLUGIN_API_VERSION of the daemon */
  uint32_t struct_size; /* sizeof(sgeventd_host_api) in the daemon; later versions only append */

  /* --- event accessors; every returned pointer is borrowed from the event (valid during the callback) */
  int64_t (*event_id)(const sgeventd_event* event);
  const char* (*event_type)(const sgeventd_event* event);
  const char* (*event_attribute_name)(const sgeventd_event* event); /* NULL when the event has none */
  /* Fills `out` and returns 1 when the link is present, returns 0 (out untouched) when it is null. */
  int (*event_link)(const sgeventd_event* event, sgeventd_link which, sgeventd_entity_ref* out);
  const char* (*event_session_uuid)(const sgeventd_event* event); /* NULL when none */
  /* created_at as Unix time; returns 0 when the event has none. */
  int (*event_created_at)(const sgeventd_event* event, int64_t* unix_seconds, int32_t* microseconds);
  const char* (*event_meta_json)(const sgeventd_event* event); /* "null" when none */
  const char* (*event_json)(const sgeventd_event* event);      /* the whole record, api3 wire shape */
  const char* (*event_args_json)(const sgeventd_event* event); /* the args_json registered, or "null" */
  /* Sets the error message reported when the callback returns SGEVENTD_ERROR or SGEVENTD_RETRY (copied). */
  void (*event_set_error)(const sgeventd_event* event, const char* message);

  /* --- logging */
  void (*log)(sgeventd_logger* logger, sgeventd_log_level level, const char* message);
  int (*log_enabled)(sgeventd_logger* logger, sgeventd_log_level level);
  const char* (*logger_name)(sgeventd_logger* logger); /* borrowed, lives as long as the logger */

  /* --- the callback's ShotGrid connection (api3). `params_json` is the method's parameter object
   * (params[1] of the api3 envelope; the daemon adds the auth part). On SGEVENTD_OK `*out_result_json`
   * is the api3 `results` value; otherwise `*out_error` describes the failure, and the status is
   * SGEVENTD_RETRY when it is transient (connection error, timeout, HTTP 429 or 5xx; plugins built for
   * version 1 get SGEVENTD_ERROR), so a callback may return it as it is. Both strings are owned by the
   * connection and stay valid until the next call on the same connection or the end of the callback,
   * whichever comes first. Either out pointer may be NULL. Reads ("read", "info", "schema_*",
   * "summarize", ...) are retried on transient failures before returning; writes are sent once. */
  sgeventd_status (*call)(sgeventd_connection* sg, const char* method, const char* params_json,
                          const char** out_result_json, const char** out_error);
  /* find() with the user-side filter syntax of shotgun_api3 ([["code","is","x"], ...]); pages through
   * every result unless `limit` > 0. `fields_json` is a JSON array of field names; `order_json` may be
   * NULL. Output as for call(): a JSON array of entities. */
  sgeventd_status (*find)(sgeventd_connection* sg, const char* entity_type, const char* filters_json,
                          const char* fields_json, const char* order_json, int32_t limit,
                          const char** out_result_json, const char** out_error);
  /* NULL clears it. The daemon already sets the event's session uuid before each callback when the
   * [shotgun] use_session_uuid option is on. */
  void (*set_session_uuid)(sgeventd_connection* sg, const char* session_uuid);

  /* --- registration */
  /* Sets the error message reported when register_callbacks returns SGEVENTD_ERROR (copied). */
  void (*registrar_set_error)(sgeventd_registrar* reg, const char* message);
} sgeventd_host_api;

/* One registerCallback(...) call. Strings are copied by the daemon during register_callback. */
typedef struct sgeventd_callback_registration {
  uint32_t struct_size;    /* sizeof(sgeventd_callback_registration) */
  const char* name;        /* the callback's name: its logger is plugin.<plugin>.<name>; required */
  const char* script_name; /* ShotGrid script credentials of the callback's own connection */
  const char* script_key;
  sgeventd_callback_fn callback;
  void* user_data; /* owned by the plugin; handed back to `callback` and to `destroy_user_data` */
  /* Called once when this plugin version is unloaded (before dlclose), or when the registration fails;
   * may be NULL. */
  void (*destroy_user_data)(void* user_data);
  /* matchEvents as JSON: NULL, "null" or "{}" match every event; otherwise an object mapping an event
   * type (or "*") to null (any attribute), a list of attribute names, or a string (substring test, as
   * Python's `in` on a str). Anything else fails the registration. */
  const char* match_events_json;
  const char* args_json; /* any JSON, readable from the event via event_args_json; NULL = null */
  int stop_on_error;     /* nonzero (the original's default): a failure deactivates the plugin */
} sgeventd_callback_registration;

/* What register_callbacks receives. Owned by the daemon, valid during register_callbacks only. */
struct sgeventd_registrar {
  uint32_t struct_size;
  const sgeventd_host_api* host; /* static, may be kept for the plugin's lifetime */
  sgeventd_logger* logger;       /* the plugin logger plugin.<name>; valid until the plugin unloads */
  const char* plugin_name;       /* borrowed */
  sgeventd_status (*register_callback)(sgeventd_registrar* reg, const sgeventd_callback_registration* spec);
  /* The fixed form of setEmails: mode 1 = the configured recipients, 0 = no email,
   * 2 = exactly `emails[0..count)`. */
  sgeventd_status (*set_emails)(sgeventd_registrar* reg, int mode, const char* const* emails, size_t count);
  void* host_private; /* the daemon's, do not touch */
};

#define SGEVENTD_EMAILS_DISABLED 0
#define SGEVENTD_EMAILS_DEFAULT 1
#define SGEVENTD_EMAILS_ADDRESSES 2

/* What the entry symbol returns: a pointer to static storage in the plugin. */
typedef struct sgeventd_plugin_descriptor {
  uint32_t api_version;    /* SGEVENTD_PLUGIN_API_VERSION the plugin was built against */
  uint32_t struct_size;    /* sizeof(sgeventd_plugin_descriptor) */
  const char* description; /* free text for `sgeventd status`; may be NULL */
  /* registerCallbacks(reg): returns SGEVENTD_ERROR (after registrar_set_error) to refuse loading. */
  sgeventd_status (*register_callbacks)(sgeventd_registrar* reg);
  /* Called after every destroy_user_data, just before dlclose; may be NULL. */
  void (*unload)(void);
} sgeventd_plugin_descriptor;

typedef const sgeventd_plugin_descriptor* (*sgeventd_plugin_entry_fn)(void);

/* Every plugin defines:
 *   SGEVENTD_PLUGIN_EXPORT const sgeventd_plugin_descriptor* sgeventd_plugin_entry(void);  */

#ifdef __cplusplus
}
#endif

#endif /* SGEVENTD_PLUGIN_H */
