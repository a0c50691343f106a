"""The Python half of sgeventd's plugin loader, compiled into the daemon as a string.

It reproduces shotgunEvents' plugin API (Registrar, Callback naming, logging, error texts) on top of
the `_sgeventd` module the daemon embeds, and provides `sgeventd_shotgun`, a shotgun_api3-compatible
facade over the daemon's C++ ShotGrid client, for sites without shotgun_api3 installed.
"""

import datetime
import errno
import http.client
import importlib.machinery
import importlib.util
import json
import logging
import pprint
import re
import socket
import ssl
import sys
import traceback
import types
import urllib.error
import xmlrpc.client

import _sgeventd

# ---------------------------------------------------------------------------------------------------
# Date-time conversions, as shotgun_api3 does them with convert_datetimes_to_utc=True.

_API3_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
_UTC = datetime.timezone.utc


def _is_api3_datetime(value):
    return len(value) == 20 and _API3_DATETIME.match(value) is not None


def _local_from_api3(text):
    # Slicing instead of strptime: this runs for every event's created_at.
    value = datetime.datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                              int(text[14:16]), int(text[17:19]), tzinfo=_UTC)
    return value.astimezone()  # tz-aware, in the host's local zone


def _convert_list(items):
    for index, item in enumerate(items):
        if type(item) is str:
            if _is_api3_datetime(item):
                items[index] = _local_from_api3(item)
        elif type(item) is list:
            _convert_list(item)


def _inbound_hook(record):
    # json.loads calls this for every object, innermost first, so nested dicts are already converted.
    for key, value in record.items():
        kind = type(value)
        if kind is str:
            if _is_api3_datetime(value):
                record[key] = _local_from_api3(value)
        elif kind is list:
            _convert_list(value)
    return record


def decode(text):
    """api3 JSON text -> Python values with every api3 date-time string as a local tz-aware datetime."""
    value = json.loads(text, object_hook=_inbound_hook)
    if type(value) is list:
        _convert_list(value)
    elif type(value) is str and _is_api3_datetime(value):
        value = _local_from_api3(value)
    return value


def _outbound_default(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.astimezone()  # a naive datetime is local time, as shotgun_api3 assumes
        return value.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def encode(value):
    return json.dumps(value, default=_outbound_default)


def make_event(text, datetimes):
    """The event dict a callback gets: decode(text), with the object hook skipped when it would only
    convert created_at. `datetimes` counts the api3 date-time string literals in the text (the daemon
    scans it; -1 when the text has \\u escapes, which could spell one the scan cannot see)."""
    if datetimes == 0:
        return json.loads(text)
    if datetimes == 1:
        value = json.loads(text)
        created = value.get("created_at") if type(value) is dict else None
        if type(created) is str and _is_api3_datetime(created):
            value["created_at"] = _local_from_api3(created)  # the one literal: nothing else to convert
            return value
    return decode(text)


# ---------------------------------------------------------------------------------------------------
# sgeventd_shotgun: shotgun_api3.Shotgun's method names and arguments over the daemon's C++ client.

shotgun_module = types.ModuleType(
    "sgeventd_shotgun", "shotgun_api3-compatible connection over sgeventd's C++ ShotGrid client.")


def _transient_http_status(status):
    """429 (too many requests) and 5xx (the site is down, busy or restarting) pass; other statuses stay."""
    return status == 429 or (isinstance(status, int) and 500 <= status <= 599)


class ShotgunError(Exception):
    """Base for the errors this connection raises (shotgun_api3.ShotgunError)."""

    transient = False  # True: a passing condition (network, timeout, busy site); the daemon retries


class Fault(ShotgunError):
    """The server answered with an api3 exception (shotgun_api3.Fault)."""

    def __init__(self, message, code=0):
        ShotgunError.__init__(self, message)
        self.code = code


class AuthenticationFault(Fault):
    """Bad script name or key (shotgun_api3.AuthenticationFault)."""


class ProtocolError(ShotgunError):
    """An HTTP status >= 300 (xmlrpc's ProtocolError as shotgun_api3 raises it)."""

    def __init__(self, url, errcode, errmsg, headers=None):
        ShotgunError.__init__(self, url, errcode, errmsg, headers)
        self.url = url
        self.errcode = errcode
        self.errmsg = errmsg
        self.headers = headers or {}

    @property
    def transient(self):
        return _transient_http_status(self.errcode)

    def __str__(self):
        return "<ProtocolError for %s: %s %s>" % (self.url, self.errcode, self.errmsg)


# The connection failures shotgun_api3 lets through are socket errors; these are ShotgunErrors too, so
# `except ShotgunError` keeps catching them, and `except ConnectionError` / `except socket.timeout` (code
# written for shotgun_api3) catches them as well.
class ShotgunConnectionError(ShotgunError, ConnectionError):
    """The site could not be reached or the connection broke (refused, reset, DNS, TLS)."""

    transient = True


class ShotgunTimeoutError(ShotgunError, TimeoutError):
    """The site did not answer in time."""

    transient = True


def _raise_client_error(kind, message, fault_code, http_status, url):
    if kind == "authentication":
        raise AuthenticationFault(message, fault_code)
    if kind == "fault":
        raise Fault(message, fault_code)
    if kind == "protocol":
        raise ProtocolError(url, http_status, message)
    if kind == "connection":
        raise ShotgunConnectionError(message)
    if kind == "timeout":
        raise ShotgunTimeoutError(message)
    if kind == "invalid_argument":
        raise ValueError(message)
    raise ShotgunError(message)


class _Config(object):
    """sg.config: the attributes studios read; session_uuid goes through to the connection."""

    def __init__(self, connection):
        object.__setattr__(self, "_connection", connection)
        self.server = connection.server
        self.script_name = connection.script_name
        self.api_key = None  # never exposed
        self.api_path = "/api3/json"
        self.proxy_server = connection.http_proxy
        self.convert_datetimes_to_utc = True
        self.records_per_page = 500
        self.timeout_secs = None
        self.max_rpc_attempts = 3
        self.sudo_as_login = None
        self.user_login = None
        self.extra_auth_params = None
        self.no_ssl_validation = False

    def __getattr__(self, name):
        if name == "session_uuid":
            return self._connection.session_uuid
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name == "session_uuid":
            self._connection.set_session_uuid(value)
        else:
            object.__setattr__(self, name, value)


class Shotgun(object):
    """One api3 connection, shaped like shotgun_api3.Shotgun (the methods event plugins use)."""

    def __init__(self, connection):
        self._connection = connection
        self.config = _Config(connection)
        self.base_url = connection.server

    def _request(self, operation, **arguments):
        error, text = self._connection.request(operation, encode(arguments))
        if error is not None:
            _raise_client_error(*error, url=self.base_url)
        return decode(text)

    @staticmethod
    def _filters(filters, filter_operator):
        if filter_operator and isinstance(filters, (list, tuple)):
            return {"filter_operator": filter_operator, "filters": list(filters)}
        return filters

    def set_session_uuid(self, session_uuid):
        self._connection.set_session_uuid(session_uuid)

    def info(self):
        return self._request("info")

    def find(self, entity_type, filters, fields=None, order=None, filter_operator=None, limit=0,
             retired_only=False, page=0, include_archived_projects=True, additional_filter_presets=None):
        return self._request("find", entity_type=entity_type, filters=self._filters(filters, filter_operator),
                             fields=list(fields or []), order=order or [], limit=limit or 0, page=page or 0,
                             retired_only=bool(retired_only),
                             include_archived_projects=bool(include_archived_projects),
                             additional_filter_presets=additional_filter_presets)

    def find_one(self, entity_type, filters, fields=None, order=None, filter_operator=None,
                 retired_only=False, include_archived_projects=True, additional_filter_presets=None):
        return self._request("find_one", entity_type=entity_type,
                             filters=self._filters(filters, filter_operator), fields=list(fields or []),
                             order=order or [], retired_only=bool(retired_only),
                             include_archived_projects=bool(include_archived_projects),
                             additional_filter_presets=additional_filter_presets)

    def create(self, entity_type, data, return_fields=None):
        return self._request("create", entity_type=entity_type, data=data,
                             return_fields=list(return_fields or []))

    def update(self, entity_type, entity_id, data, multi_entity_update_modes=None):
        return self._request("update", entity_type=entity_type, entity_id=entity_id, data=data,
                             multi_entity_update_modes=multi_entity_update_modes)

    def delete(self, entity_type, entity_id):
        return self._request("delete", entity_type=entity_type, entity_id=entity_id)

    def revive(self, entity_type, entity_id):
        return self._request("revive", entity_type=entity_type, entity_id=entity_id)

    def batch(self, requests):
        return self._request("batch", requests=list(requests))

    def summarize(self, entity_type, filters, summary_fields, filter_operator=None, grouping=None,
                  include_archived_projects=True):
        return self._request("summarize", entity_type=entity_type,
                             filters=self._filters(filters, filter_operator), summary_fields=summary_fields,
                             grouping=grouping, include_archived_projects=bool(include_archived_projects))

    def schema_read(self, project_entity=None):
        return self._request("schema_read", project_entity=project_entity)

    def schema_entity_read(self, project_entity=None):
        return self._request("schema_entity_read", project_entity=project_entity)

    def schema_field_read(self, entity_type, field_name=None, project_entity=None):
        return self._request("schema_field_read", entity_type=entity_type, field_name=field_name,
                             project_entity=project_entity)

    def close(self):
        pass


for _cls in (ShotgunError, Fault, AuthenticationFault, ProtocolError, ShotgunConnectionError,
             ShotgunTimeoutError, Shotgun):
    _cls.__module__ = "sgeventd_shotgun"
    setattr(shotgun_module, _cls.__name__, _cls)
shotgun_module.decode = decode
shotgun_module.encode = encode
sys.modules["sgeventd_shotgun"] = shotgun_module

# ---------------------------------------------------------------------------------------------------
# Logging: every record that passes its Python logger goes to the daemon's logger of the same name.


def _daemon_level(levelno):
    for level in (50, 40, 30, 20):
        if levelno >= level:
            return level
    return 10


class DaemonHandler(logging.Handler):
    """Forwards records to sgeventd's log files (installed once, on the root logger)."""

    def __init__(self):
        logging.Handler.__init__(self, logging.NOTSET)
        self.setFormatter(logging.Formatter("%(message)s"))  # the message plus exception text

    def emit(self, record):
        try:
            message = self.format(record)
            level = _daemon_level(record.levelno)
            # Where the record was made, for the e-mail body (Path, Function, Line as the original).
            where = (str(record.pathname), str(record.funcName), int(record.lineno or 0))
            if not _sgeventd.log(record.name, level, message, *where):
                # The daemon's logger would drop a record its Python logger let through: the plugin
                # lowered a level (logger.setLevel). Mirror the level that decided, then log again.
                owner = logging.getLogger(record.name)
                while owner.level == logging.NOTSET and owner.parent is not None:
                    owner = owner.parent
                _sgeventd.mirror_level(owner.name, _daemon_level(owner.getEffectiveLevel()))
                _sgeventd.log(record.name, level, message, *where)
        except Exception:
            self.handleError(record)


_handler = DaemonHandler()
logging.getLogger().addHandler(_handler)
_configured_loggers = set()


def _mirror_set_level(logger):
    """A plugin's logger.setLevel(...) reaches the daemon's logger of the same name at once.

    The daemon writes its own lines for a plugin (e.g. DEBUG `Dispatching event N to callback X.`) on
    plugin.<name>, where the original wrote them through this very Python logger; without this, a level
    set in registerCallbacks took effect there only once the plugin logged something itself.
    """
    if "setLevel" in vars(logger):
        return  # already hooked (a reload, or a second plugin folder with the same plugin name)
    set_level = type(logger).setLevel  # the class's own, so a custom Logger class keeps its behaviour

    def setLevel(level):
        set_level(logger, level)
        # A NOTSET logger follows its parent: the daemon's gets the level it now ends up with.
        _sgeventd.mirror_level(logger.name, _daemon_level(logger.getEffectiveLevel()))

    logger.setLevel = setLevel


def configure_plugin_logger(name, level):
    """plugin.<name> gets the configured level once per process, so a plugin's setLevel survives reloads."""
    logger = logging.getLogger("plugin." + name)
    if logger.name not in _configured_loggers:
        _configured_loggers.add(logger.name)
        logger.setLevel(level)
        _mirror_set_level(logger)  # after the configured level: only the plugin's own calls are mirrored
    return logger


# ---------------------------------------------------------------------------------------------------
# Loading and registration, as shotgunEvents' Plugin.load() and Registrar.

LOAD_OK = 0
LOAD_ERROR = 1
REGISTRATION_ERROR = 2
MISSING_ENTRY = 3


class CallbackEntry(object):
    __slots__ = ("name", "function", "match", "args", "stop_on_error", "sg", "logger")


class PluginState(object):
    def __init__(self, name, path, make_connection, server, http_proxy, logger):
        self.name = name
        self.path = path
        self.make_connection = make_connection
        self.server = server
        self.http_proxy = http_proxy
        self.logger = logger
        self.callbacks = []
        self.emails = None  # None | ("default"|"disabled"|"addresses", [addresses])
        self.module = None

    def connect(self, script_name, script_key):
        try:
            import shotgun_api3
        except ImportError:
            shotgun_api3 = None
        if shotgun_api3 is not None and self.server:
            return shotgun_api3.Shotgun(self.server, script_name, script_key, http_proxy=self.http_proxy)
        connection = self.make_connection(script_name, script_key)
        return None if connection is None else Shotgun(connection)


def _callback_name(callback):
    if hasattr(callback, "__name__"):
        return callback.__name__
    return "%s_%s" % (callback.__class__.__name__, hex(id(callback)))


class Registrar(object):
    """What registerCallbacks(reg) receives."""

    def __init__(self, plugin):
        self._plugin = plugin

    def __getattr__(self, name):
        raise AttributeError("type object 'Registrar' has no attribute '%s'" % name)

    @property
    def logger(self):
        return self._plugin.logger

    def getLogger(self):
        return self._plugin.logger

    def setEmails(self, *emails):
        """True: the default recipients; False: no email; addresses: those recipients."""
        if len(emails) == 1 and emails[0] is True:
            self._plugin.emails = ("default", [])
        elif len(emails) == 1 and emails[0] is False:
            self._plugin.emails = ("disabled", [])
        else:
            self._plugin.emails = ("addresses", [str(address) for address in emails])

    def registerCallback(self, sgScriptName, sgScriptKey, callback, matchEvents=None, args=None,
                         stopOnError=True):
        if not callable(callback):
            raise TypeError(
                "The callback must be a callable object (function, method or callable class instance).")
        entry = CallbackEntry()
        entry.match = _sgeventd.match_spec(matchEvents)
        entry.sg = self._plugin.connect(sgScriptName, sgScriptKey)
        entry.name = _callback_name(callback)
        entry.function = callback
        entry.args = args
        entry.stop_on_error = bool(stopOnError)
        entry.logger = logging.getLogger("plugin.%s.%s" % (self._plugin.name, entry.name))
        _mirror_set_level(entry.logger)
        self._plugin.callbacks.append(entry)


def load_plugin(name, path, make_connection, server, http_proxy, level):
    """Returns (LOAD_OK, PluginState) or (error kind, message)."""
    logger = configure_plugin_logger(name, level)
    plugin = PluginState(name, path, make_connection, server, http_proxy, logger)
    try:
        loader = importlib.machinery.SourceFileLoader(name, path)
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        module = importlib.util.module_from_spec(spec)
        # Compiled from the source every time: a __pycache__ file validated by a whole-second mtime could
        # hand back the previous version of a file rewritten within the same second.
        code = compile(loader.get_data(path), path, "exec", dont_inherit=True)
        exec(code, module.__dict__)  # not put in sys.modules; the plugin folder is not put on sys.path
    except BaseException:
        return (LOAD_ERROR, traceback.format_exc())
    plugin.module = module
    register = getattr(module, "registerCallbacks", None)
    if not callable(register):
        if register is None:
            return (MISSING_ENTRY, "The module defines no registerCallbacks.")
        return (MISSING_ENTRY, "registerCallbacks is a %s, not a function." % type(register).__name__)
    try:
        register(Registrar(plugin))
    except BaseException:
        return (REGISTRATION_ERROR, traceback.format_exc())
    return (LOAD_OK, plugin)


def _format_locals(frame_locals):
    try:
        return pprint.pformat(frame_locals)
    except BaseException as error:  # a repr() that raises must not hide the plugin's own error
        return "<the local variables could not be formatted: %r>" % (error,)


# ---------------------------------------------------------------------------------------------------
# Which callback exceptions are transient: a passing network or server condition, worth a retry. The
# daemon retries those (InvokeStatus::Retry); any other exception is a plain failure, as in the original.

# OSError numbers of network trouble that Python raises as plain OSError (not a ConnectionError).
_TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT",
                                      "EHOSTUNREACH", "EHOSTDOWN", "ENETUNREACH", "ENETDOWN", "ENETRESET")
    if hasattr(errno, name))

# socket.timeout is TimeoutError since 3.10; gaierror/herror are name lookups. A certificate that does
# not verify is a configuration error, not a passing condition, so SSLCertVerificationError is left out.
_TRANSIENT_OS_ERRORS = (ConnectionError, TimeoutError, socket.timeout, socket.gaierror, socket.herror)


def _is_protocol_error(error):
    """shotgun_api3.ProtocolError: xmlrpc's class in the real package; whatever the package defines else."""
    if isinstance(error, xmlrpc.client.ProtocolError):
        return True
    api3 = sys.modules.get("shotgun_api3")
    cls = getattr(api3, "ProtocolError", None) if api3 is not None else None
    return isinstance(cls, type) and isinstance(error, cls)


def _is_httplib2_unreachable(error):
    # shotgun_api3 speaks HTTP through its bundled httplib2, which reports a failed name lookup with its
    # own ServerNotFoundError (not an OSError).
    return any(cls.__name__ == "ServerNotFoundError" and "httplib2" in cls.__module__
               for cls in type(error).__mro__)


def is_transient(error):
    """Whether a callback's exception is worth a retry: connection errors, timeouts, HTTP 429 and 5xx."""
    if not isinstance(error, Exception):
        return False  # KeyboardInterrupt, SystemExit, GeneratorExit: the plugin's failure, never transient
    if isinstance(error, ShotgunError):
        return bool(error.transient)
    if _is_protocol_error(error):
        # xmlrpc's ProtocolError carries the HTTP status as errcode; without one, the status is unknown
        # and shotgun_api3 raises it for HTTP failures only, so it counts as a passing one.
        return _transient_http_status(getattr(error, "errcode", 500))
    if isinstance(error, urllib.error.HTTPError):
        return _transient_http_status(error.code)
    if isinstance(error, ssl.SSLCertVerificationError):
        return False
    if isinstance(error, (ssl.SSLError, urllib.error.URLError) + _TRANSIENT_OS_ERRORS):
        return True
    if isinstance(error, http.client.HTTPException):
        return not isinstance(error, http.client.InvalidURL)  # a broken exchange, not a bad request
    if isinstance(error, OSError):
        return error.errno in _TRANSIENT_ERRNOS
    return _is_httplib2_unreachable(error)


def run_callback(entry, event):
    """Runs one callback after setting its connection's session uuid (use_session_uuid); returns None, or
    what callback_failed returns. Without use_session_uuid the daemon calls the callback itself.
    """
    try:
        if entry.sg is not None:
            entry.sg.set_session_uuid(event.get("session_uuid"))
        entry.function(entry.sg, entry.logger, event, entry.args)
        return None
    except BaseException as error:  # KeyboardInterrupt and SystemExit too: a plugin's failure, not the daemon's
        # From the outermost plugin frame on (the one after this function's), as when the daemon calls the
        # callback itself.
        return callback_failed(entry, error.with_traceback(error.__traceback__.tb_next))


def callback_failed(entry, error):
    """Logs a callback's exception and returns (transient, traceback text).

    A plain failure is logged at CRITICAL with the outer plugin frame's locals, as the original does; a
    transient one at WARNING, since the daemon retries it (and an email per attempt would flood). The
    exception's traceback starts at the outermost plugin frame; it has none when the call itself failed
    (a callback that takes other arguments), and the text is then the exception's line alone.
    """
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        transient = is_transient(error)
    except BaseException:  # an exception class whose attributes raise: not one we know
        transient = False
    if transient:
        try:
            entry.logger.warning(
                "A transient error occurred processing an event; the daemon retries these as its retry "
                "policy allows.\n\n%s", text)
        except BaseException:
            pass
        return (True, text)
    frame_locals = error.__traceback__.tb_frame.f_locals if error.__traceback__ is not None else {}
    try:
        entry.logger.critical(
            "An error occured processing an event.\n\n%s\n\nLocal variables at outer most frame in "
            "plugin:\n\n%s", text, _format_locals(frame_locals))
    except BaseException:
        pass
    return (False, text)
