# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the systemd journal (journalctl -o json) and zap's JSON lines in it.

The zap-to-journal mapping here is the one of examples/zap-service/journalcore (docs/journald.md states it), so an
entry reads the same whether the service wrote JSON on stdout or native journal fields.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re

# zap level -> syslog priority (the journal's PRIORITY)
LEVEL_PRIORITY = {"debug": 7, "info": 6, "warn": 4, "error": 3, "dpanic": 2, "panic": 2, "fatal": 2}

# syslog priority names journalctl and journald.conf accept
PRIORITY_NAMES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

# Names the journal core sets itself; a zap field mapped onto one of them gets the prefix "X_".
RESERVED = frozenset(("MESSAGE", "PRIORITY", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "SYSLOG_IDENTIFIER",
                      "ZAP_LEVEL", "ZAP_LOGGER", "ZAP_STACKTRACE", "ZAP_TS"))

MAX_FIELD_NAME = 64

# The keys of zap's production JSON encoder (zap.NewProductionEncoderConfig), plus "func" for the caller's function,
# which the production config leaves out and examples/zap-service turns on.
DEFAULT_ZAP_KEYS = {"message": "msg", "level": "level", "time": "ts", "caller": "caller", "function": "func",
                    "logger": "logger", "stacktrace": "stacktrace"}

FIELD_NAME_RE = re.compile(r"^[A-Z0-9_]+$")


def field_name(key):
    """Map a zap field key to a journal field name (the rules of journalcore.FieldName)."""
    out = []
    for byte in bytearray(key.encode("utf-8")):
        c = chr(byte)
        if "a" <= c <= "z":
            out.append(c.upper())
        elif "A" <= c <= "Z" or "0" <= c <= "9" or c == "_":
            out.append(c)
        else:
            out.append("_")
    name = "".join(out)
    if not name or name[0] == "_" or name[0].isdigit():
        name = "X" + name
    if name in RESERVED:
        name = "X_" + name
    return name[:MAX_FIELD_NAME]


def text(value):
    """A JSON value as the journal core writes it: strings as they are, booleans true/false, null as "null",
    numbers as written, objects and arrays as compact JSON with sorted keys."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def priority_number(value):
    """0..7 from a priority name or number; ValueError otherwise."""
    s = str(value).strip().lower()
    if s.isdigit() and 0 <= int(s) <= 7:
        return int(s)
    if s in PRIORITY_NAMES:
        return PRIORITY_NAMES.index(s)
    raise ValueError("priority %r: want 0..7 or one of %s" % (value, ", ".join(PRIORITY_NAMES)))


def decode_value(value):
    """journalctl -o json gives a string, null (a field too large to show), a list of byte values (binary or
    non-UTF-8 data) or a list of those (a field that occurs several times)."""
    if isinstance(value, list):
        if all(isinstance(v, int) for v in value):
            return bytes(bytearray(value)).decode("utf-8", "replace")
        return [decode_value(v) for v in value]
    return value


def parse_zap(message, keys=None):
    """The zap record in a MESSAGE, as (typed dict, journal fields), or None when it is not zap JSON: a JSON
    object that has the message and level keys."""
    keys = keys or DEFAULT_ZAP_KEYS
    if not isinstance(message, str) or not message.startswith("{"):
        return None
    try:
        record = json.loads(message)
        # the same object with its numbers kept as written (1e21 stays 1e21, 0.10 stays 0.10)
        as_text = json.loads(message, parse_int=str, parse_float=str, parse_constant=str)
    except ValueError:
        return None
    if not isinstance(record, dict) or keys["message"] not in record or keys["level"] not in record:
        return None
    fields = {}
    special = set(keys.values())
    for key, value in as_text.items():
        if key in special:
            continue
        # strings and numbers as written; booleans, null, objects and arrays through text()
        fields[field_name(key)] = value if isinstance(value, str) else text(record[key])
    fields["MESSAGE"] = text(record[keys["message"]])
    level = text(record[keys["level"]]).lower()
    fields["ZAP_LEVEL"] = level
    if level in LEVEL_PRIORITY:
        fields["PRIORITY"] = str(LEVEL_PRIORITY[level])
    caller = record.get(keys["caller"])
    if isinstance(caller, str) and caller:
        path, sep, line = caller.rpartition(":")
        if sep and line.isdigit():
            fields["CODE_FILE"], fields["CODE_LINE"] = path, line
        else:
            fields["CODE_FILE"] = caller
    for key, name in (("function", "CODE_FUNC"), ("logger", "ZAP_LOGGER"), ("stacktrace", "ZAP_STACKTRACE"),
                      ("time", "ZAP_TS")):
        if keys[key] in record:
            fields[name] = as_text[keys[key]] if isinstance(as_text[keys[key]], str) else text(record[keys[key]])
    return record, fields


def timestamp(usec):
    """ISO 8601 UTC text of a __REALTIME_TIMESTAMP (microseconds since the epoch), or None."""
    try:
        usec = int(usec)
    except (TypeError, ValueError):
        return None
    epoch = datetime.datetime(1970, 1, 1)
    return (epoch + datetime.timedelta(microseconds=usec)).isoformat() + "Z"


def normalize(raw, parse=True, keys=None):
    """One returned entry from one journalctl -o json object (see the module's RETURN)."""
    fields = dict((k, decode_value(v)) for k, v in raw.items())
    raw_message = fields.get("MESSAGE")
    record = None
    fmt = "plain"
    if parse:
        parsed = parse_zap(raw_message, keys)
        if parsed is not None:
            record, zap_fields = parsed
            fields.update(zap_fields)
            fmt = "zap-json"
        elif "ZAP_LEVEL" in fields:
            fmt = "zap-native"
    try:
        priority = int(fields.get("PRIORITY"))
    except (TypeError, ValueError):
        priority = None
    return {
        "fields": fields,
        "format": fmt,
        "zap": record,
        "raw_message": raw_message,
        "message": fields.get("MESSAGE"),
        "priority": priority,
        "timestamp": timestamp(fields.get("__REALTIME_TIMESTAMP")),
        "unit": fields.get("_SYSTEMD_UNIT"),
        "identifier": fields.get("SYSLOG_IDENTIFIER"),
        "cursor": fields.get("__CURSOR"),
    }


def as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def command(journalctl, params, with_lines=True):
    """The journalctl argument vector for the module's parameters (match values are passed as FIELD=value
    arguments: journalctl ANDs different fields and ORs values of one field)."""
    argv = [journalctl, "--no-pager", "--quiet", "--output=json", "--all"]
    if params.get("namespace"):
        argv.append("--namespace=%s" % params["namespace"])
    for unit in as_list(params.get("unit")):
        argv.append("--unit=%s" % unit)
    for ident in as_list(params.get("identifier")):
        argv.append("--identifier=%s" % ident)
    if params.get("since"):
        argv.append("--since=%s" % params["since"])
    if params.get("until"):
        argv.append("--until=%s" % params["until"])
    if with_lines and params.get("lines"):
        argv.append("--lines=%d" % params["lines"])
    for field in sorted(params.get("match") or {}):
        for value in as_list(params["match"][field]):
            argv.append("%s=%s" % (field, text(value)))
    return argv


def parse_output(out, parse=True, keys=None):
    """Entries from journalctl -o json output; lines that are not JSON objects (notes) are skipped."""
    entries = []
    for line in out.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if isinstance(raw, dict):
            entries.append(normalize(raw, parse, keys))
    return entries
