# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and parsing of systemd unit setting values (systemd 252 and later).

Shared by the ``go_service`` filters and by anything else that renders unit files or journald drop-ins.
Every ``check_*`` function returns ``None`` when the value is valid and otherwise an error *phrase* (without the
name of the variable), so the caller can build a message naming the variable and the service:

    err = check_size(svc.get("memory_max"))
    if err:
        errors.append("go_service_services[0] (api): memory_max %s" % err)

The parsing rules follow systemd's own parsers (``parse_size()``, ``parse_sec()``, ``parse_cpu_set()``,
``cg_weight_parse()``): sizes are base 1024 with the suffixes B, K, M, G, T, P, E (upper case only, as systemd),
time spans are sequences of ``<number><unit>``, weights are integers 1..10000.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

RESTART_VALUES = ("no", "always", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog")
SERVICE_TYPES = ("simple", "exec", "forking", "oneshot", "dbus", "notify", "idle")
LOG_LEVELS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

WEIGHT_MIN = 1
WEIGHT_MAX = 10000

_SIZE_FACTORS = {"": 1, "B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4, "P": 1024 ** 5,
                 "E": 1024 ** 6}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([BKMGTPE]?)\s*$")
_PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s*$")

# Units accepted by parse_sec(), in microseconds.
_TIME_UNITS = {
    "usec": 1, "us": 1, "\u00b5s": 1, "\u03bcs": 1,
    "msec": 1000, "ms": 1000,
    "seconds": 10 ** 6, "second": 10 ** 6, "sec": 10 ** 6, "s": 10 ** 6, "": 10 ** 6,
    "minutes": 60 * 10 ** 6, "minute": 60 * 10 ** 6, "min": 60 * 10 ** 6, "m": 60 * 10 ** 6,
    "hours": 3600 * 10 ** 6, "hour": 3600 * 10 ** 6, "hr": 3600 * 10 ** 6, "h": 3600 * 10 ** 6,
    "days": 86400 * 10 ** 6, "day": 86400 * 10 ** 6, "d": 86400 * 10 ** 6,
    "weeks": 7 * 86400 * 10 ** 6, "week": 7 * 86400 * 10 ** 6, "w": 7 * 86400 * 10 ** 6,
    "months": 2629800 * 10 ** 6, "month": 2629800 * 10 ** 6, "M": 2629800 * 10 ** 6,
    "years": 31557600 * 10 ** 6, "year": 31557600 * 10 ** 6, "y": 31557600 * 10 ** 6,
}
_TIME_PART_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z\u00b5\u03bc]*)")
_UNIT_NAME_RE = re.compile(r"^[a-zA-Z0-9:_.\\-]+$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_JOURNAL_FIELD_RE = re.compile(r"^[A-Z0-9][A-Z0-9_]*$")
_CPUSET_RE = re.compile(r"^\d+(-\d+)?$")
_BUS_ELEMENT_RE = re.compile(r"^[A-Za-z_-][A-Za-z0-9_-]*$")
BUS_NAME_MAX = 255


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def parse_size(value, total=None):
    """Bytes for a systemd size (``512M``, ``1.5G``, ``1073741824``), a percentage of ``total``, or ``None``
    for ``infinity``. Raises ``ValueError`` on a malformed value (or a percentage without ``total``)."""
    if _is_int(value):
        if value < 0:
            raise ValueError("negative size")
        return value
    if not isinstance(value, str):
        raise ValueError("not a size")
    if value.strip() == "infinity":
        return None
    match = _PERCENT_RE.match(value)
    if match:
        pct = float(match.group(1))
        if pct > 100:
            raise ValueError("percentage above 100%")
        if total is None:
            raise ValueError("percentage without the total memory to apply it to")
        return int(total * pct / 100)
    match = _SIZE_RE.match(value)
    if not match:
        raise ValueError("malformed size")
    number, suffix = match.groups()
    if "." in number and suffix in ("", "B"):
        raise ValueError("fractional number of bytes")
    return int(float(number) * _SIZE_FACTORS[suffix])


def check_size(value, allow_percent=True, allow_infinity=True):
    """Error phrase for a bad systemd size (MemoryMax=, MemoryHigh=, MemorySwapMax=, SystemMaxUse=...)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == "infinity":
        return None if allow_infinity else "must not be 'infinity'"
    if isinstance(value, str) and _PERCENT_RE.match(value) and not allow_percent:
        return "must be an absolute size, not a percentage (got %r)" % (value,)
    try:
        parse_size(value, total=1)
    except ValueError as exc:
        return ("is not a valid size (%s): %r; use bytes or a number with K, M, G, T, P or E (base 1024)%s"
                % (exc, value, ", a percentage, or 'infinity'" if allow_percent else ""))
    return None


def check_weight(value, allow_idle=False):
    """Error phrase for a bad CPUWeight=/IOWeight=/StartupCPUWeight= value (1..10000; CPUWeight also 'idle')."""
    if value is None:
        return None
    if allow_idle and value == "idle":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not _is_int(value):
        return "must be an integer between %d and %d%s, got %r" % (
            WEIGHT_MIN, WEIGHT_MAX, " or 'idle'" if allow_idle else "", value)
    if not WEIGHT_MIN <= value <= WEIGHT_MAX:
        return "must be between %d and %d (systemd rejects %r)" % (WEIGHT_MIN, WEIGHT_MAX, value)
    return None


def parse_percent(value):
    """The number in ``'150%'`` (float). Raises ``ValueError``."""
    if not isinstance(value, str):
        raise ValueError("not a percentage")
    match = _PERCENT_RE.match(value)
    if not match:
        raise ValueError("not a percentage")
    return float(match.group(1))


def check_cpu_quota(value):
    """Error phrase for a bad CPUQuota= value: a positive percentage, may exceed 100% (several CPUs)."""
    if value is None:
        return None
    try:
        pct = parse_percent(value)
    except ValueError:
        return "must be a percentage such as '50%%' or '200%%' (100%% is one CPU), got %r" % (value,)
    if pct <= 0:
        return "must be above 0%%, got %r" % (value,)
    return None


def parse_timespan(value):
    """Microseconds in a systemd time span (``5s``, ``1min 30s``, ``250ms``, plain numbers are seconds) or
    ``None`` for ``infinity``. Raises ``ValueError``."""
    if _is_int(value) or isinstance(value, float):
        if value < 0:
            raise ValueError("negative time span")
        return int(value * 10 ** 6)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a time span")
    if value.strip() == "infinity":
        return None
    total = 0
    pos = 0
    text = value.strip()
    while pos < len(text):
        match = _TIME_PART_RE.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError("malformed time span")
        number, unit = match.groups()
        if unit not in _TIME_UNITS:
            raise ValueError("unknown time unit %r" % unit)
        total += int(float(number) * _TIME_UNITS[unit])
        pos = match.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return total


def check_timespan(value, allow_infinity=True):
    """Error phrase for a bad time span (RestartSec=, StartLimitIntervalSec=, LogRateLimitIntervalSec=...)."""
    if value is None:
        return None
    try:
        usec = parse_timespan(value)
    except ValueError as exc:
        return "is not a valid time span (%s): %r; use e.g. '5s', '1min 30s', '250ms'" % (exc, value)
    if usec is None and not allow_infinity:
        return "must not be 'infinity'"
    return None


def check_choice(value, choices):
    """Error phrase when ``value`` is not one of ``choices``."""
    if value is None or value in choices:
        return None
    return "must be one of %s, got %r" % (", ".join(choices), value)


def check_restart(value):
    """Error phrase for a bad Restart= value."""
    return check_choice(value, RESTART_VALUES)


def check_log_level(value):
    """Error phrase for a bad LogLevelMax=/MaxLevelStore= value (a syslog level name or 0..7)."""
    if value is None:
        return None
    if _is_int(value) and 0 <= value <= 7:
        return None
    if isinstance(value, str) and (value in LOG_LEVELS or (value.isdigit() and int(value) <= 7)):
        return None
    return "must be one of %s or 0..7, got %r" % (", ".join(LOG_LEVELS), value)


def check_non_negative_int(value, minimum=0):
    """Error phrase for a bad integer setting (StartLimitBurst=, LogRateLimitBurst=...)."""
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not _is_int(value) or value < minimum:
        return "must be an integer >= %d, got %r" % (minimum, value)
    return None


def check_tasks_max(value):
    """Error phrase for a bad TasksMax= value: a positive integer, a percentage or 'infinity'."""
    if value is None or value == "infinity":
        return None
    if isinstance(value, str) and _PERCENT_RE.match(value):
        return None
    err = check_non_negative_int(value, minimum=1)
    if err:
        return "must be a positive integer, a percentage or 'infinity', got %r" % (value,)
    return None


def parse_cpu_set(value):
    """Sorted list of CPU numbers in a cpuset such as ``0-3,6`` or ``0 2 4``. Raises ``ValueError``."""
    if _is_int(value):
        if value < 0:
            raise ValueError("negative CPU number")
        return [value]
    if not isinstance(value, str) or not value.strip():
        raise ValueError("empty CPU set")
    cpus = set()
    for item in re.split(r"[\s,]+", value.strip()):
        if not _CPUSET_RE.match(item):
            raise ValueError("malformed item %r" % item)
        if "-" in item:
            low, high = (int(x) for x in item.split("-"))
            if low > high:
                raise ValueError("range %r goes backwards" % item)
            cpus.update(range(low, high + 1))
        else:
            cpus.add(int(item))
    return sorted(cpus)


def check_cpu_set(value):
    """Error phrase for a bad AllowedCPUs=/AllowedMemoryNodes= value."""
    if value is None:
        return None
    try:
        parse_cpu_set(value)
    except ValueError as exc:
        return "is not a valid CPU set (%s): %r; use e.g. '0-3' or '0,2,4'" % (exc, value)
    return None


def check_unit_name(value, suffix=None):
    """Error phrase for a bad unit name (and a missing ``suffix`` such as ``.slice``)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _UNIT_NAME_RE.match(value) or len(value) > 255:
        return "is not a valid unit name: %r" % (value,)
    if suffix and not value.endswith(suffix):
        return "must end with %r, got %r" % (suffix, value)
    return None


def check_bus_name(value):
    """Error phrase for a bad BusName=: a D-Bus well-known name (the D-Bus specification's rules, which
    ``sd_bus_service_name_is_valid()`` applies): at most 255 characters, at least two elements separated by dots,
    each element made of A-Z, a-z, 0-9, '_' and '-' and not starting with a digit (``org.example.Api``)."""
    if value is None:
        return None
    what = "is not a valid D-Bus well-known name"
    if not isinstance(value, str):
        return "%s (not a string): %r" % (what, value)
    if len(value) > BUS_NAME_MAX:
        return "%s (longer than %d characters): %r" % (what, BUS_NAME_MAX, value)
    elements = value.split(".")
    if len(elements) < 2:
        return "%s (it needs at least two elements separated by dots, e.g. 'org.example.Api'): %r" % (what, value)
    for element in elements:
        if not element:
            return "%s (empty element): %r" % (what, value)
        if element[0].isdigit():
            return "%s (element %r starts with a digit): %r" % (what, element, value)
        if not _BUS_ELEMENT_RE.match(element):
            return "%s (element %r has characters other than A-Z, a-z, 0-9, '_' and '-'): %r" % (what, element, value)
    return None


def check_env_name(value):
    """Error phrase for an environment variable name systemd would refuse."""
    if isinstance(value, str) and _ENV_NAME_RE.match(value):
        return None
    return "is not a valid environment variable name: %r" % (value,)


def check_journal_field(value):
    """Error phrase for a journal field name (LogExtraFields=): upper case letters, digits, underscores, not
    starting with an underscore (those are trusted fields)."""
    if isinstance(value, str) and _JOURNAL_FIELD_RE.match(value) and len(value) <= 64:
        return None
    return "is not a valid journal field name (A-Z, 0-9 and _, not starting with _): %r" % (value,)


def ceil_cpus_from_quota(value):
    """CPUs a CPUQuota= percentage amounts to, rounded up (``'150%'`` -> 2), at least 1."""
    return max(1, int(math.ceil(parse_percent(value) / 100.0 - 1e-9)))


def quote_arg(arg):
    """Quote one command line argument for ExecStart= (systemd's C-style quoting; ``%`` and ``$`` escaped so
    systemd expands neither specifiers nor variables in it)."""
    text = str(arg)
    text = text.replace("%", "%%").replace("$", "$$")
    if text and re.match(r"^[A-Za-z0-9_@%+=:,./$-]+$", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def quote_env(name, value):
    """One Environment= assignment, quoted (``"NAME=value"``), with ``%`` escaped."""
    text = "%s=%s" % (name, value)
    text = text.replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + text + '"'
