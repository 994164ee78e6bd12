# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the go_service role: value checks with messages naming the variable, Go runtime limits derived from
the unit's cgroup limits, and systemd quoting."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.noble.gohost.plugins.module_utils import _systemd_units as su

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_SHA256_RE = re.compile(r"^(sha256:)?[0-9a-f]{64}$")
_SOURCES = ("url", "file", "go_install")
_SANDBOXES = ("strict", "relaxed", "none")
_MIB = 1024 * 1024


_SYSCALL_ITEM_RE = re.compile(r"^(@[a-z][a-z0-9-]*|[a-z_][a-z0-9_]*)(:[A-Za-z0-9]+)?$")


def _check_syscall_list(value):
    """None, or why ``value`` is not a SystemCallFilter=/SystemCallLog= list (names, @groups, ~ before the first)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "must be a list of system call names and @groups, got %r" % (value,)
    for index, item in enumerate(value):
        name = item[1:] if index == 0 and item.startswith("~") else item
        if not _SYSCALL_ITEM_RE.match(name):
            return ("must hold system call names and @groups (a '~' only before the first, as systemd reads it), "
                    "got %r" % item)
    return None


def _errors(services, var_name="go_service_services", defaults=None):
    """Error messages for the list of services (each merged over ``defaults``), naming the variable."""
    if not isinstance(services, list):
        return ["%s must be a list of dicts, got %s" % (var_name, type(services).__name__)]
    errors = []
    seen = set()
    for idx, svc in enumerate(services):
        where = "%s[%d]" % (var_name, idx)
        if not isinstance(svc, dict):
            errors.append("%s must be a dict, got %r" % (where, svc))
            continue
        svc = dict(defaults or {}, **svc)
        name = svc.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            errors.append("%s.name must match %s (it names the unit), got %r" % (where, _NAME_RE.pattern, name))
        else:
            where = "%s[%d] (%s)" % (var_name, idx, name)
            if name in seen:
                errors.append("%s: the name is used twice" % where)
            seen.add(name)

        def add(key, err):
            if err:
                errors.append("%s.%s %s" % (where, key, err))

        binary = svc.get("binary")
        if not isinstance(binary, dict):
            errors.append("%s.binary must be a dict with source: url, file or go_install" % where)
        else:
            source = binary.get("source")
            add("binary.source", su.check_choice(source, _SOURCES) or (None if source else "is required"))
            if source == "url":
                if not binary.get("url"):
                    errors.append("%s.binary.url is required when binary.source is url" % where)
                if not _SHA256_RE.match(str(binary.get("checksum", ""))):
                    errors.append("%s.binary.checksum must be a SHA-256 ('sha256:<64 hex>') when binary.source is "
                                  "url, got %r" % (where, binary.get("checksum")))
            elif source == "file" and not binary.get("src"):
                errors.append("%s.binary.src (a file on the controller) is required when binary.source is file" % where)
            elif source == "go_install":
                pkg = str(binary.get("package", ""))
                if "@" not in pkg or pkg.endswith(("@latest", "@")):
                    errors.append("%s.binary.package must be a pinned 'module/path/cmd@vX.Y.Z' for go_install, "
                                  "got %r" % (where, binary.get("package")))

        add("type", su.check_choice(svc.get("type"), su.SERVICE_TYPES))
        bus_name = svc.get("bus_name")
        if svc.get("type") == "dbus":
            if bus_name is None or bus_name == "":
                errors.append("%s: type dbus needs bus_name (the D-Bus name the service takes, BusName=)" % where)
            else:
                add("bus_name", su.check_bus_name(bus_name))
        elif bus_name is not None and bus_name != "":
            stype = svc.get("type")
            errors.append("%s.bus_name is only for type dbus (BusName=, the name systemd waits for), but type is %s"
                          % (where, "unset" if stype is None else repr(stype)))
        add("restart", su.check_restart(svc.get("restart")))
        for key in ("restart_sec", "start_limit_interval_sec", "timeout_stop_sec", "log_rate_limit_interval_sec"):
            add(key, su.check_timespan(svc.get(key)))
        for key in ("start_limit_burst", "log_rate_limit_burst"):
            add(key, su.check_non_negative_int(svc.get(key)))
        for key in ("memory_high", "memory_max", "memory_swap_max"):
            add(key, su.check_size(svc.get(key)))
        add("cpu_weight", su.check_weight(svc.get("cpu_weight"), allow_idle=True))
        add("io_weight", su.check_weight(svc.get("io_weight")))
        add("cpu_quota", su.check_cpu_quota(svc.get("cpu_quota")))
        add("tasks_max", su.check_tasks_max(svc.get("tasks_max")))
        add("allowed_cpus", su.check_cpu_set(svc.get("allowed_cpus")))
        add("slice", su.check_unit_name(svc.get("slice"), suffix=".slice"))
        add("sandbox", su.check_choice(svc.get("sandbox"), _SANDBOXES))
        for key in ("syscall_filter", "syscall_log"):
            add(key, _check_syscall_list(svc.get(key)))
        add("log_level_max", su.check_log_level(svc.get("log_level_max")))
        if svc.get("log_namespace") is not None and not re.match(r"^[A-Za-z0-9_-]{1,64}$", str(svc["log_namespace"])):
            errors.append("%s.log_namespace must be 1-64 letters, digits, '_' or '-', got %r"
                          % (where, svc["log_namespace"]))
        for key in (svc.get("environment") or {}):
            add("environment key", su.check_env_name(key))
        for key in (svc.get("log_extra_fields") or {}):
            add("log_extra_fields key", su.check_journal_field(key))
        high, high_err = _size_or_err(svc.get("memory_high"))
        mx, max_err = _size_or_err(svc.get("memory_max"))
        if not (high_err or max_err) and high and mx and high > mx:
            errors.append("%s.memory_high (%s) is above memory_max (%s): the kernel would never reclaim before "
                          "killing" % (where, svc.get("memory_high"), svc.get("memory_max")))
        for key in ("gomemlimit", "gomaxprocs"):
            val = svc.get(key)
            if val is None or val in ("auto", "off"):
                continue
            if key == "gomaxprocs" and not (isinstance(val, int) and not isinstance(val, bool) and val >= 1):
                errors.append("%s.gomaxprocs must be 'auto', 'off' or an integer >= 1, got %r" % (where, val))
            if key == "gomemlimit" and not re.match(r"^\d+(B|KiB|MiB|GiB|TiB)?$", str(val)):
                errors.append("%s.gomemlimit must be 'auto', 'off' or a Go size such as '900MiB', got %r"
                              % (where, val))
        pprof = svc.get("pprof") or {}
        if pprof.get("enabled"):
            addr = str(pprof.get("address", "127.0.0.1:6060"))
            host = addr.rsplit(":", 1)[0].strip("[]")
            if host not in ("127.0.0.1", "::1", "localhost") or ":" not in addr:
                errors.append("%s.pprof.address must be a loopback host:port (127.0.0.1:PORT or [::1]:PORT), got %r"
                              % (where, addr))
        health = svc.get("health_check") or {}
        if health.get("url") and not re.match(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/", health["url"]):
            errors.append("%s.health_check.url must be an http(s) URL on loopback, got %r" % (where, health["url"]))
        for i, drop in enumerate(svc.get("drop_ins") or []):
            if not isinstance(drop, dict) or not re.match(r"^[A-Za-z0-9_.-]+$", str(drop.get("name", ""))) \
                    or "content" not in drop:
                errors.append("%s.drop_ins[%d] must be a dict with name ([A-Za-z0-9_.-]+) and content" % (where, i))
        if svc.get("user") and svc.get("dynamic_user", True):
            errors.append("%s: user %r is set while dynamic_user is true; set dynamic_user: false for a "
                          "dedicated user" % (where, svc["user"]))
    return errors


def _size_or_err(value):
    try:
        return (su.parse_size(value, total=1 << 62) if value is not None else None), False
    except ValueError:
        return None, True


def gomemlimit(svc, memtotal=None, fraction=0.9):
    """GOMEMLIMIT for a service: its own value, or ``fraction`` of the lower of MemoryHigh=/MemoryMax= (in MiB),
    or None when neither is set (or gomemlimit is 'off')."""
    value = svc.get("gomemlimit", "auto")
    if value == "off":
        return None
    if value not in (None, "auto"):
        return str(value)
    if not 0 < float(fraction) <= 1:
        raise AnsibleFilterError("go_service_gomemlimit: the fraction must be in (0, 1], got %r" % (fraction,))
    limits = []
    for key in ("memory_high", "memory_max"):
        if svc.get(key) is None:
            continue
        try:
            size = su.parse_size(svc[key], total=memtotal)
        except ValueError as exc:
            raise AnsibleFilterError("go_service_gomemlimit: %s=%r: %s" % (key, svc[key], exc))
        if size is not None:
            limits.append(size)
    if not limits:
        return None
    limit = int(min(limits) * float(fraction))
    if limit >= 64 * _MIB:
        return "%dMiB" % (limit // _MIB)
    return str(limit)


def gomaxprocs(svc, host_cpus=None):
    """GOMAXPROCS for a service: its own value, or ceil(CPUQuota/100%) and/or the number of AllowedCPUs (the lower),
    never above ``host_cpus``; None when neither limit is set (or gomaxprocs is 'off')."""
    value = svc.get("gomaxprocs", "auto")
    if value == "off":
        return None
    if value not in (None, "auto"):
        return int(value)
    candidates = []
    if svc.get("cpu_quota"):
        candidates.append(su.ceil_cpus_from_quota(svc["cpu_quota"]))
    if svc.get("allowed_cpus") is not None:
        candidates.append(len(su.parse_cpu_set(svc["allowed_cpus"])))
    if not candidates:
        return None
    procs = min(candidates)
    if host_cpus:
        procs = min(procs, int(host_cpus))
    return max(1, procs)


def executable(svc):
    """The file name of a service's binary in its release directory: the last element of the package path for a
    ``go_install`` source (without ``@version`` and a major version suffix ``/vN``), else ``binary.name``, else the
    service name. The one rule go_service installs by and the apparmor role attaches profiles by."""
    if not isinstance(svc, dict) or not svc.get("name"):
        raise AnsibleFilterError("go_service_executable: expected a go_service_services entry with a name, got %r"
                                 % (svc,))
    binary = svc.get("binary") or {}
    if binary.get("source") == "go_install":
        path = str(binary.get("package") or "").split("@", 1)[0].rstrip("/")
        path = re.sub(r"/v[0-9]+$", "", path)
        return path.rsplit("/", 1)[-1] or svc["name"]
    return binary.get("name") or svc["name"]


DROPIN_HEADER = "# Managed by Ansible (noble.gohost.go_service); local overrides belong in other files here.\n"


def dropin_files(svc, unit_dir="/etc/systemd/system"):
    """The drop-in files of a service, path -> content: ``drop_ins`` entries as
    ``<unit_dir>/<name>.service.d/<entry name>.conf`` (``.conf`` added unless given), each under the managed header."""
    if not isinstance(svc, dict) or not svc.get("name"):
        raise AnsibleFilterError("go_service_dropins: expected a go_service_services entry with a name, got %r" % (svc,))
    out = {}
    for drop in svc.get("drop_ins") or []:
        name = re.sub(r"\.conf$", "", str(drop.get("name", "")))
        out["%s/%s.service.d/%s.conf" % (unit_dir.rstrip("/"), svc["name"], name)] = "%s%s\n" % (
            DROPIN_HEADER, drop.get("content", ""))
    return out


def exec_line(binary, args=None):
    """ExecStart= value: the binary and its arguments, each quoted for systemd."""
    return " ".join([su.quote_arg(binary)] + [su.quote_arg(a) for a in (args or [])])


def env_line(name, value):
    """One quoted Environment= assignment."""
    return su.quote_env(name, value)


def size_bytes(value, memtotal=None):
    """Bytes in a systemd size (None for infinity)."""
    try:
        return su.parse_size(value, total=memtotal)
    except ValueError as exc:
        raise AnsibleFilterError("go_service_size_bytes: %r: %s" % (value, exc))


class FilterModule(object):
    """go_service filters."""

    def filters(self):
        return {
            "go_service_errors": _errors,
            "go_service_gomemlimit": gomemlimit,
            "go_service_gomaxprocs": gomaxprocs,
            "go_service_exec": exec_line,
            "go_service_executable": executable,
            "go_service_dropins": dropin_files,
            "go_service_env": env_line,
            "go_service_size_bytes": size_bytes,
        }
