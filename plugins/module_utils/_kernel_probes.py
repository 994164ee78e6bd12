# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probes of noble.gohost.kernel_facts: read-only readings of /proc, /sys and a few syscalls.

Private to the collection. Pure standard library, Python 3.8+ (it runs on the managed host).

Every reading is a *probe*: ``{"value": ..., "source": "<where it was read>", "reason": None}``, or
``{"value": None, "source": ..., "reason": "<why it could not be read>"}``. No probe raises: a missing file, a
permission error or an unsupported syscall becomes a reason.

All file access goes through :class:`Reader`, which prefixes the ``root`` option, so a fixture tree can stand in for
a host. Syscalls (statfs, io_uring_setup, getauxval, clock timing) go through :class:`LiveSyscalls`, used only when
``root`` is ``/``; unit tests pass a fake object with the same methods.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import time
import zlib

GROUPS = ("kernel", "cgroup", "ebpf", "io_uring", "memory", "scheduler", "time", "security", "platform")

DEFAULT_CONFIG_OPTIONS = (
    "CONFIG_ZSTD_COMPRESS", "CONFIG_CRYPTO_ZSTD", "CONFIG_ZSWAP", "CONFIG_ZSWAP_DEFAULT_ON", "CONFIG_ZRAM",
    "CONFIG_BPF_SYSCALL", "CONFIG_BPF_JIT", "CONFIG_DEBUG_INFO_BTF", "CONFIG_IO_URING", "CONFIG_PSI",
    "CONFIG_SECURITY_APPARMOR", "CONFIG_SECURITY_LOCKDOWN_LSM", "CONFIG_SECCOMP_FILTER", "CONFIG_USER_NS",
    "CONFIG_MODULE_SIG", "CONFIG_MODULE_SIG_FORCE", "CONFIG_SCHED_AUTOGROUP", "CONFIG_IKCONFIG_PROC",
)

# Filesystem magic numbers (linux/magic.h).
CGROUP2_SUPER_MAGIC = 0x63677270
CGROUP_SUPER_MAGIC = 0x27E0EB
TMPFS_MAGIC = 0x01021994
SECUREBOOT_VAR = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
SETUPMODE_VAR = "/sys/firmware/efi/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c"
NR_IO_URING_SETUP = 425  # the same number on every architecture (syscalls added after 5.0 share one table)
AT_SYSINFO_EHDR = 33


class ProbeError(Exception):
    """A reading that could not be made; the message is the reason shown to the user."""


def probe(value, source, reason=None):
    """One reading: its value, where it came from, and why it is null when it is."""
    return {"value": value, "source": source, "reason": reason}


def missing(source, reason):
    return probe(None, source, reason)


def _os_reason(exc):
    code = getattr(exc, "errno", None)
    text = os.strerror(code) if code else str(exc)
    if code == errno.ENOENT:
        return "not present (%s)" % text
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied (%s)" % text
    if code in (errno.EOPNOTSUPP, errno.ENODEV, errno.ENOSYS):
        return "not supported by this kernel (%s)" % text
    return "unreadable (%s)" % text


class Reader:
    """Reads files under ``root``; paths are given as on the host (``/proc/...``)."""

    def __init__(self, root="/"):
        self.root = os.path.abspath(root or "/")

    @property
    def live(self):
        return self.root == "/"

    def path(self, path):
        if self.live:
            return path
        return os.path.join(self.root, path.lstrip("/"))

    def _open(self, path, mode):
        return open(self.path(path), mode)  # pylint: disable=unspecified-encoding

    def read_bytes(self, path):
        try:
            with self._open(path, "rb") as handle:
                return handle.read()
        except (IOError, OSError) as exc:
            raise ProbeError(_os_reason(exc))

    def read(self, path):
        return self.read_bytes(path).decode("utf-8", "replace")

    def line(self, path):
        return self.read(path).strip()

    def exists(self, path):
        return os.path.lexists(self.path(path))

    def isdir(self, path):
        return os.path.isdir(self.path(path))

    def listdir(self, path):
        try:
            return sorted(os.listdir(self.path(path)))
        except (IOError, OSError) as exc:
            raise ProbeError(_os_reason(exc))

    def size(self, path):
        try:
            return os.stat(self.path(path)).st_size
        except (IOError, OSError) as exc:
            raise ProbeError(_os_reason(exc))


def read_probe(reader, path, parse=None):
    """A probe of one file: its stripped text, or ``parse(text)``."""
    try:
        text = reader.line(path)
    except ProbeError as exc:
        return missing(path, str(exc))
    if parse is None:
        return probe(text, path)
    try:
        return probe(parse(text), path)
    except (ValueError, IndexError, KeyError) as exc:
        return missing(path, "unexpected content %r (%s)" % (text[:80], exc))


def first_probe(reader, paths, parse=None):
    """The first of ``paths`` that can be read, or null with the reason of each."""
    reasons = []
    for path in paths:
        result = read_probe(reader, path, parse)
        if result["reason"] is None:
            return result
        reasons.append("%s: %s" % (path, result["reason"]))
    return missing(", ".join(paths), "; ".join(reasons))


def as_int(text):
    return int(text.split()[0])


def as_yn(text):
    """Kernel module booleans: Y/N, 1/0."""
    text = text.strip()
    if text in ("Y", "y", "1"):
        return True
    if text in ("N", "n", "0"):
        return False
    raise ValueError("not a Y/N flag")


def bracketed(text):
    """``a [b] c`` -> {"selected": "b", "available": ["a", "b", "c"]}."""
    words = text.split()
    selected = None
    available = []
    for word in words:
        if word.startswith("[") and word.endswith("]"):
            word = word[1:-1]
            selected = word
        available.append(word)
    return {"selected": selected, "available": available}


# ----------------------------------------------------------------------------------------------------------------
# Syscalls, only on the live host (root == "/")


class LiveSyscalls:
    """Syscalls through ctypes. Every method returns (value, reason) and never raises."""

    def __init__(self):
        self._libc = None
        self._libc_error = None
        try:
            import ctypes  # pylint: disable=import-outside-toplevel
            self._ctypes = ctypes
            self._libc = ctypes.CDLL(None, use_errno=True)
        except (ImportError, OSError) as exc:
            self._libc_error = "ctypes/libc unavailable (%s)" % exc

    def statfs_magic(self, path):
        if self._libc is None:
            return None, self._libc_error
        ctypes = self._ctypes
        buf = ctypes.create_string_buffer(512)  # struct statfs is 120 bytes on 64-bit; f_type is its first word
        if self._libc.statfs(path.encode(), buf) != 0:
            code = ctypes.get_errno()
            return None, "statfs(%s) failed: %s" % (path, os.strerror(code))
        return ctypes.c_ulong.from_buffer(buf).value & 0xFFFFFFFF, None

    def io_uring_setup(self):
        """Create (and close) a one-entry ring: "works", "ENOSYS", "EPERM", ..."""
        if self._libc is None:
            return None, self._libc_error
        ctypes = self._ctypes
        params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
        self._libc.syscall.restype = ctypes.c_long
        fd = self._libc.syscall(ctypes.c_long(NR_IO_URING_SETUP), ctypes.c_uint(1), params)
        if fd >= 0:
            os.close(fd)
            return "works", None
        code = ctypes.get_errno()
        return errno.errorcode.get(code, str(code)), None

    def vdso_address(self):
        if self._libc is None:
            return None, self._libc_error
        getauxval = getattr(self._libc, "getauxval", None)
        if getauxval is None:
            return None, "libc has no getauxval"
        getauxval.restype = self._ctypes.c_ulong
        return getauxval(self._ctypes.c_ulong(AT_SYSINFO_EHDR)), None

    def cpu_affinity(self):
        """How many CPUs this process may run on (what `nproc` prints)."""
        getaffinity = getattr(os, "sched_getaffinity", None)
        if getaffinity is None:
            return None, "os.sched_getaffinity not available"
        try:
            return len(getaffinity(0)), None
        except OSError as exc:
            return None, "sched_getaffinity(0) failed: %s" % exc

    def clock_ns_per_call(self, clock_name, calls):
        """Nanoseconds per clock_gettime(clock): the best of 5 rounds, less the cost of a no-op builtin call."""
        clock = getattr(time, clock_name, None)
        if clock is None or not hasattr(time, "clock_gettime_ns"):
            return None, "time.%s / time.clock_gettime_ns not available" % clock_name
        calls = max(1000, int(calls))
        gettime = time.clock_gettime_ns
        perf = time.perf_counter_ns
        best = None
        base = None
        for _round in range(5):
            rng = range(calls)
            start = perf()
            for _i in rng:
                gettime(clock)
            spent = perf() - start
            start = perf()
            for _i in rng:
                abs(clock)
            empty = perf() - start
            best = spent if best is None else min(best, spent)
            base = empty if base is None else min(base, empty)
        return {
            "ns_per_call": round(max(best - base, 0) / calls, 1),
            "raw_ns_per_call": round(best / calls, 1),
            "calls": calls,
        }, None


class NoSyscalls:
    """Stands in for LiveSyscalls when ``root`` is not ``/``: syscalls would describe the wrong system."""

    REASON = "not attempted: root is not / (a syscall would describe this machine, not the tree read)"

    def statfs_magic(self, path):  # pylint: disable=unused-argument
        return None, self.REASON

    def io_uring_setup(self):
        return None, self.REASON

    def vdso_address(self):
        return None, self.REASON

    def cpu_affinity(self):
        return None, self.REASON

    def clock_ns_per_call(self, clock_name, calls):  # pylint: disable=unused-argument
        return None, self.REASON


# ----------------------------------------------------------------------------------------------------------------
# Shared parsers

RELEASE_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(\d+))?(?:[-+.~_](.+))?$")


def parse_release(release):
    """``6.8.0-45-generic`` -> major 6, minor 8, patch 0, abi 45, flavour generic."""
    match = RELEASE_RE.match(release.strip())
    if not match:
        raise ValueError("not a kernel release")
    major, minor, patch, sub, abi, flavour = match.groups()
    return {
        "string": release.strip(),
        "major": int(major),
        "minor": int(minor),
        "patch": int(patch) if patch is not None else 0,
        "sublevel": int(sub) if sub is not None else None,
        "abi": int(abi) if abi is not None else None,
        "flavour": flavour,
    }


def unescape_mount(text):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def parse_mountinfo(text):
    mounts = []
    for line in text.splitlines():
        if " - " not in line:
            continue
        head, tail = line.split(" - ", 1)
        head = head.split()
        tail = tail.split()
        if len(head) < 6 or not tail:
            continue
        mounts.append({
            "mountpoint": unescape_mount(head[4]),
            "root": unescape_mount(head[3]),
            "fstype": tail[0],
            "source": tail[1] if len(tail) > 1 else "",
            "super_options": tail[2].split(",") if len(tail) > 2 else [],
        })
    return mounts


def parse_key_values(text):
    """``KEY=value`` lines (os-release), quotes removed."""
    result = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        result[key.strip()] = value
    return result


class Context:
    """What every probe needs: the reader, the syscalls, the options and readings shared between groups."""

    def __init__(self, reader, syscalls, options=None, run_command=None):
        self.reader = reader
        self.syscalls = syscalls
        self.options = options or {}
        self.run_command = run_command
        self._cache = {}

    def cached(self, key, func):
        if key not in self._cache:
            self._cache[key] = func()
        return self._cache[key]

    def release(self):
        """The kernel release probe, parsed."""
        def read():
            result = read_probe(self.reader, "/proc/sys/kernel/osrelease", parse_release)
            if result["reason"] is not None and self.reader.live:
                try:
                    return probe(parse_release(os.uname()[2]), "uname(2)")
                except ValueError:
                    pass
            return result
        return self.cached("release", read)

    def mountinfo(self):
        def read():
            try:
                return probe(parse_mountinfo(self.reader.read("/proc/self/mountinfo")), "/proc/self/mountinfo")
            except ProbeError as exc:
                return missing("/proc/self/mountinfo", str(exc))
        return self.cached("mountinfo", read)

    def mounts_of(self, fstype):
        info = self.mountinfo()
        if info["value"] is None:
            return None
        return [m for m in info["value"] if m["fstype"] == fstype]

    def kernel_config(self, names):
        return self.cached(("config",) + tuple(names), lambda: read_kernel_config(self, names))

    def clocksource(self):
        base = "/sys/devices/system/clocksource/clocksource0/"
        return self.cached("clocksource", lambda: (
            read_probe(self.reader, base + "current_clocksource"),
            read_probe(self.reader, base + "available_clocksource", lambda t: t.split()),
        ))


# ----------------------------------------------------------------------------------------------------------------
# kernel


def config_values(text, names):
    """{name: value} of the named options in a kernel config: "y", "m", a string or number, "n" for
    "# CONFIG_X is not set"; options the config does not mention are left out. Looks up only the names asked
    for (str.find), instead of parsing every one of the thousands of lines."""
    text = "\n" + text
    values = {}
    for name in names:
        start = text.find("\n%s=" % name)
        if start >= 0:
            start += len(name) + 2
            end = text.find("\n", start)
            values[name] = text[start:end if end >= 0 else len(text)].strip().strip('"')
        elif ("\n# %s is not set" % name) in text:
            values[name] = "n"
    return values


def read_kernel_config(ctx, names):
    """(path, {CONFIG_X: value} of the names) of the first kernel config found, or (None, reason)."""
    release = ctx.release()["value"]
    candidates = ["/proc/config.gz"]
    if release:
        candidates += ["/boot/config-%s" % release["string"], "/lib/modules/%s/config" % release["string"]]
    reasons = []
    for path in candidates:
        try:
            data = ctx.reader.read_bytes(path)
        except ProbeError as exc:
            reasons.append("%s: %s" % (path, exc))
            continue
        if path.endswith(".gz"):
            try:
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)  # gzip framing, without importing gzip
            except zlib.error as exc:
                reasons.append("%s: not gzip (%s)" % (path, exc))
                continue
        return path, config_values(data.decode("utf-8", "replace"), names)
    return None, "no kernel config found (%s)" % "; ".join(reasons)


def probe_kernel(ctx):
    reader = ctx.reader
    out = {"release": ctx.release()}
    out["version"] = read_probe(reader, "/proc/sys/kernel/version")
    arch = read_probe(reader, "/proc/sys/kernel/arch")
    if arch["reason"] is not None and reader.live:
        arch = probe(os.uname()[4], "uname(2)")
    out["arch"] = arch
    out["cmdline"] = read_probe(reader, "/proc/cmdline")

    def distro():
        for path in ("/etc/os-release", "/usr/lib/os-release"):
            try:
                values = parse_key_values(reader.read(path))
            except ProbeError:
                continue
            return probe({
                "id": values.get("ID"),
                "version_id": values.get("VERSION_ID"),
                "codename": values.get("VERSION_CODENAME"),
                "pretty_name": values.get("PRETTY_NAME"),
            }, path)
        return missing("/etc/os-release, /usr/lib/os-release", "no os-release file")
    out["distribution"] = distro()

    wanted = list(DEFAULT_CONFIG_OPTIONS)
    for name in ctx.options.get("config_options") or []:
        name = name.strip().upper()
        if not name.startswith("CONFIG_"):
            name = "CONFIG_" + name
        if name not in wanted:
            wanted.append(name)
    path, options = ctx.kernel_config(wanted)
    if path is None:
        out["config"] = missing("/proc/config.gz, /boot/config-<release>", options)
    else:
        # An option the config does not mention does not exist in this kernel version: null.
        out["config"] = probe(dict((name, options.get(name)) for name in wanted), path)
    return out


# ----------------------------------------------------------------------------------------------------------------
# cgroup

V2_LIMIT_FILES = ("cpuset.cpus.effective", "cpuset.mems.effective", "cpu.max", "cpu.weight", "memory.max",
                  "memory.high", "memory.swap.max", "pids.max", "io.max")
V1_LIMIT_FILES = (("cpuset", "cpuset.effective_cpus"), ("cpu", "cpu.cfs_quota_us"), ("cpu", "cpu.cfs_period_us"),
                  ("cpu", "cpu.shares"), ("memory", "memory.limit_in_bytes"), ("pids", "pids.max"))


def cgroup_mode(ctx):
    """v1, hybrid or unified: statfs magic of /sys/fs/cgroup on the live host, else /proc/self/mountinfo."""
    magic, reason = ctx.syscalls.statfs_magic(ctx.reader.path("/sys/fs/cgroup"))
    if magic is not None:
        if magic == CGROUP2_SUPER_MAGIC:
            return probe("unified", "statfs(/sys/fs/cgroup) f_type=0x%x (cgroup2)" % magic)
        if magic == TMPFS_MAGIC:
            for sub in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"):
                if ctx.syscalls.statfs_magic(ctx.reader.path(sub))[0] == CGROUP2_SUPER_MAGIC:
                    return probe("hybrid", "statfs(/sys/fs/cgroup) tmpfs, statfs(%s) cgroup2" % sub)
            return probe("v1", "statfs(/sys/fs/cgroup) f_type=0x%x (tmpfs holding cgroup v1 hierarchies)" % magic)
        if magic == CGROUP_SUPER_MAGIC:
            return probe("v1", "statfs(/sys/fs/cgroup) f_type=0x%x (cgroup)" % magic)
        reason = "statfs(/sys/fs/cgroup) f_type=0x%x is not a cgroup filesystem" % magic
    info = ctx.mountinfo()
    if info["value"] is None:
        return missing("/proc/self/mountinfo", "%s; %s" % (reason, info["reason"]))
    by_point = dict((m["mountpoint"], m["fstype"]) for m in info["value"])
    top = by_point.get("/sys/fs/cgroup")
    if top == "cgroup2":
        return probe("unified", "/proc/self/mountinfo: cgroup2 on /sys/fs/cgroup")
    v1 = [m for m in info["value"] if m["fstype"] == "cgroup" and m["mountpoint"].startswith("/sys/fs/cgroup/")]
    for sub in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"):
        if by_point.get(sub) == "cgroup2":
            return probe("hybrid", "/proc/self/mountinfo: cgroup2 on %s next to %d cgroup v1 hierarchies" % (sub, len(v1)))
    if v1:
        return probe("v1", "/proc/self/mountinfo: %d cgroup v1 hierarchies, no cgroup2" % len(v1))
    return missing("/proc/self/mountinfo", "no cgroup filesystem mounted at /sys/fs/cgroup")


def v2_base(mode):
    return "/sys/fs/cgroup/unified" if mode == "hybrid" else "/sys/fs/cgroup"


def self_cgroups(reader):
    """/proc/self/cgroup -> {"": v2 path, "memory": v1 path, ...}."""
    result = {}
    for line in reader.read("/proc/self/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[1] == "":
            result[""] = parts[2]
        for name in parts[1].split(","):
            if name:
                result[name] = parts[2]
    return result


def cgroup_limits(ctx, mode, paths):
    """Limits of one cgroup; ``paths`` maps "" (v2) and v1 controller names to the cgroup's path."""
    reader = ctx.reader
    out = {}
    if mode in ("unified", "hybrid") and "" in paths:
        base = v2_base(mode) + paths[""].rstrip("/")
        for name in V2_LIMIT_FILES:
            if mode == "hybrid" and not reader.exists(base + "/" + name):
                continue  # in hybrid mode most controllers live in the v1 hierarchies
            out[name] = read_probe(reader, base + "/" + name)
    if mode in ("v1", "hybrid"):
        for controller, name in V1_LIMIT_FILES:
            sub = paths.get(controller, paths.get("", "/"))
            mount = "/sys/fs/cgroup/" + controller
            if controller == "cpu" and not reader.exists(mount) and reader.exists("/sys/fs/cgroup/cpu,cpuacct"):
                mount = "/sys/fs/cgroup/cpu,cpuacct"
            out[name] = read_probe(reader, mount + sub.rstrip("/") + "/" + name)
    return out


def unit_default_path(unit):
    """Where systemd puts a unit's cgroup unless told otherwise (Slice=): a slice under its parent slices
    (a-b.slice in a.slice), every other unit in system.slice. Scopes and user units are elsewhere: None."""
    if unit.endswith(".scope"):
        return None
    if unit.endswith(".slice"):
        if unit == "-.slice":
            return "/"
        parts = unit[:-len(".slice")].split("-")
        return "".join("/%s.slice" % "-".join(parts[:i + 1]) for i in range(len(parts)))
    return "/system.slice/" + unit


def systemd_at_root(ctx, mode):
    """Whether PID 1 is systemd at the root of the cgroup tree we read (/init.scope): then units sit at their
    default paths from that root. Not so in a container sharing the host's cgroup namespace (its systemd is
    somewhere below), where only systemctl knows."""
    try:
        text = ctx.reader.read("/proc/1/cgroup")
    except ProbeError:
        return False
    for line in text.splitlines():
        fields = line.split(":", 2)
        if len(fields) == 3 and (fields[0] == "0" if mode in ("unified", "hybrid") else fields[1] == "name=systemd"):
            return fields[2].strip() == "/init.scope"
    return False


def find_unit_path(ctx, mode, unit):
    """The cgroup path of a systemd unit: its default place when systemd is at the root of the tree and that
    directory exists (no subprocess), else `systemctl show` on the live host (Slice=, stopped units, a nested
    systemd), else a search of the tree."""
    base = v2_base(mode) if mode in ("unified", "hybrid") else "/sys/fs/cgroup/systemd"
    default = unit_default_path(unit)
    if default is not None and systemd_at_root(ctx, mode) and ctx.reader.isdir(base + default.rstrip("/")):
        return default, "%s%s exists" % (base, default.rstrip("/"))
    if ctx.reader.live and ctx.run_command is not None:
        rc, stdout, stderr = ctx.run_command(["systemctl", "show", "--property", "ControlGroup", "--value", unit])
        if rc == 0 and stdout.strip():
            return stdout.strip(), "systemctl show --property ControlGroup %s" % unit
        if rc == 0:
            return None, "systemctl: %s has no control group (not running?)" % unit
        if rc != 127 and stderr:
            return None, "systemctl show %s: %s" % (unit, stderr.strip())
    queue = [("", 0)]
    while queue:
        rel, depth = queue.pop(0)
        try:
            names = ctx.reader.listdir(base + rel)
        except ProbeError:
            continue
        for name in names:
            if not ctx.reader.isdir(base + rel + "/" + name):
                continue
            if name == unit:
                return rel + "/" + name, "found under %s" % base
            if depth < 4:
                queue.append((rel + "/" + name, depth + 1))
    return None, "no cgroup named %s under %s" % (unit, base)


def probe_cgroup(ctx):
    reader = ctx.reader
    mode_probe = cgroup_mode(ctx)
    mode = mode_probe["value"]
    out = {"mode": mode_probe}

    if mode in ("unified", "hybrid"):
        base = v2_base(mode)
        available = read_probe(reader, base + "/cgroup.controllers", lambda t: t.split())
        enabled = read_probe(reader, base + "/cgroup.subtree_control", lambda t: t.split())
        if available["reason"] is None:
            value = {"available": available["value"], "enabled": enabled["value"]}
            out["controllers"] = probe(value, "%s, %s" % (available["source"], enabled["source"]),
                                       enabled["reason"])
        else:
            out["controllers"] = available
    else:
        out["controllers"] = missing("/sys/fs/cgroup/cgroup.controllers",
                                     "no cgroup v2 hierarchy (mode %s)" % mode)

    def v1_controllers(text):
        names = []
        for line in text.splitlines():
            fields = line.split()
            if len(fields) == 4 and not line.startswith("#") and fields[1] != "0" and fields[3] == "1":
                names.append(fields[0])
        return names
    out["v1_controllers"] = read_probe(reader, "/proc/cgroups", v1_controllers)

    # Pressure stall information: /proc/pressure/* is absent without CONFIG_PSI and EOPNOTSUPP with psi=0.
    psi = {}
    reasons = []
    for resource in ("cpu", "memory", "io"):
        path = "/proc/pressure/" + resource
        try:
            lines = reader.read(path).splitlines()
        except ProbeError as exc:
            reasons.append("%s: %s" % (path, exc))
            continue
        psi[resource] = dict(
            (line.split()[0], dict(kv.split("=", 1) for kv in line.split()[1:])) for line in lines if line.strip())
    if psi:
        out["psi"] = probe({"available": sorted(psi), "pressure": psi}, "/proc/pressure/", "; ".join(reasons) or None)
    else:
        out["psi"] = missing("/proc/pressure/", "; ".join(reasons))

    try:
        own = self_cgroups(reader)
        out["self"] = probe({"path": own.get(""), "v1_paths": dict((k, v) for k, v in own.items() if k)},
                            "/proc/self/cgroup")
        out["self_limits"] = cgroup_limits(ctx, mode, own) if mode else {}
    except ProbeError as exc:
        out["self"] = missing("/proc/self/cgroup", str(exc))
        out["self_limits"] = {}

    out["paths"] = {}
    for path in ctx.options.get("cgroup_paths") or []:
        path = "/" + path.strip("/") if path.strip("/") else "/"
        paths = dict((c, path) for c in ("", "cpuset", "cpu", "memory", "pids"))
        out["paths"][path] = cgroup_limits(ctx, mode, paths)
    out["units"] = {}
    for unit in ctx.options.get("cgroup_units") or []:
        path, how = find_unit_path(ctx, mode, unit)
        if path is None:
            out["units"][unit] = {"path": missing("systemctl show / cgroup tree", how), "limits": {}}
            continue
        paths = dict((c, path) for c in ("", "cpuset", "cpu", "memory", "pids"))
        out["units"][unit] = {"path": probe(path, how), "limits": cgroup_limits(ctx, mode, paths)}
    return out


# ----------------------------------------------------------------------------------------------------------------
# eBPF


def probe_ebpf(ctx):
    reader = ctx.reader
    out = {
        "bpf_stats_enabled": read_probe(reader, "/proc/sys/kernel/bpf_stats_enabled", as_int),
        "unprivileged_bpf_disabled": read_probe(reader, "/proc/sys/kernel/unprivileged_bpf_disabled", as_int),
        "jit_enable": read_probe(reader, "/proc/sys/net/core/bpf_jit_enable", as_int),
        "jit_harden": read_probe(reader, "/proc/sys/net/core/bpf_jit_harden", as_int),
    }
    btf = "/sys/kernel/btf/vmlinux"
    try:
        out["btf"] = probe({"present": True, "size": reader.size(btf)}, btf)
    except ProbeError as exc:
        if "not present" in str(exc):
            out["btf"] = probe({"present": False, "size": None}, btf)
        else:
            out["btf"] = missing(btf, str(exc))
    mounts = ctx.mounts_of("bpf")
    if mounts is None:
        out["bpffs"] = missing("/proc/self/mountinfo", ctx.mountinfo()["reason"])
    else:
        points = [m["mountpoint"] for m in mounts]
        out["bpffs"] = probe({"mounted": bool(points), "mountpoints": points}, "/proc/self/mountinfo")
    return out


# ----------------------------------------------------------------------------------------------------------------
# io_uring


def probe_io_uring(ctx):
    reader = ctx.reader
    out = {}
    disabled = read_probe(reader, "/proc/sys/kernel/io_uring_disabled", as_int)
    if disabled["reason"] and disabled["reason"].startswith("not present"):
        disabled["reason"] = "not present: kernels before 6.6 have no kernel.io_uring_disabled switch"
    out["disabled"] = disabled
    out["group"] = read_probe(reader, "/proc/sys/kernel/io_uring_group", as_int)
    restrict = read_probe(reader, "/proc/sys/kernel/apparmor_restrict_unprivileged_io_uring", as_int)
    if restrict["reason"] and restrict["reason"].startswith("not present"):
        restrict["reason"] = "not present: this kernel has no AppArmor io_uring restriction (Ubuntu-specific)"
    out["apparmor_restrict_unprivileged"] = restrict
    value, reason = ctx.syscalls.io_uring_setup()
    out["setup"] = probe(value, "io_uring_setup(2)", reason)
    return out


# ----------------------------------------------------------------------------------------------------------------
# memory compression


def parse_memtotal(text):
    """MemTotal of /proc/meminfo, in bytes."""
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "MemTotal:":
            return int(fields[1]) * (1024 if fields[2:3] == ["kB"] else 1)
    raise ValueError("no MemTotal line")


def parse_cpu_list(text):
    """How many CPUs a list such as ``0-3,5`` (/sys/devices/system/cpu/online) names."""
    count = 0
    for part in text.strip().split(","):
        first, sep, last = part.partition("-")
        count += (int(last) - int(first) + 1) if sep else 1 if first else 0
    return count


def probe_memory(ctx):
    reader = ctx.reader
    base = "/sys/module/zswap/parameters/"
    out = {"zswap": {}}
    if not reader.exists("/sys/module/zswap"):
        reason = "not present: /sys/module/zswap (kernel built without CONFIG_ZSWAP)"
        for name in ("enabled", "compressor", "zpool", "max_pool_percent", "shrinker_enabled"):
            out["zswap"][name] = missing(base + name, reason)
    else:
        out["zswap"]["enabled"] = read_probe(reader, base + "enabled", as_yn)
        out["zswap"]["compressor"] = read_probe(reader, base + "compressor")
        out["zswap"]["zpool"] = read_probe(reader, base + "zpool")
        out["zswap"]["max_pool_percent"] = read_probe(reader, base + "max_pool_percent", as_int)
        out["zswap"]["shrinker_enabled"] = read_probe(reader, base + "shrinker_enabled", as_yn)

    devices = []
    try:
        names = [n for n in reader.listdir("/sys/block") if n.startswith("zram")]
    except ProbeError as exc:
        out["zram"] = missing("/sys/block", str(exc))
        names = None
    if names is not None:
        swaps = {}
        try:
            for line in reader.read("/proc/swaps").splitlines()[1:]:
                fields = line.split()
                if len(fields) >= 5:
                    swaps[fields[0]] = {"type": fields[1], "size_kib": int(fields[2]), "priority": int(fields[4])}
        except (ProbeError, ValueError):
            pass
        for name in names:
            dev = "/sys/block/%s/" % name
            size = read_probe(reader, dev + "disksize", as_int)
            algo = read_probe(reader, dev + "comp_algorithm", bracketed)
            devices.append({
                "name": name,
                "disksize": size["value"],
                "algorithm": (algo["value"] or {}).get("selected"),
                "swap": swaps.get("/dev/" + name),
            })
        out["zram"] = probe(devices, "/sys/block/zram*, /proc/swaps")
    out["transparent_hugepage"] = read_probe(reader, "/sys/kernel/mm/transparent_hugepage/enabled",
                                             lambda t: bracketed(t)["selected"])
    # The host's memory (a container sees the host's), in bytes: what percentage limits and GOMEMLIMIT are of.
    out["total"] = read_probe(reader, "/proc/meminfo", parse_memtotal)
    return out


# ----------------------------------------------------------------------------------------------------------------
# scheduler

EEVDF_FEATURES = ("PLACE_LAG", "RUN_TO_PARITY", "PLACE_DEADLINE_INITIAL")
CFS_ONLY_FEATURES = ("GENTLE_FAIR_SLEEPERS", "START_DEBIT", "LAST_BUDDY")


def probe_scheduler(ctx):
    reader = ctx.reader
    out = {}
    features = first_probe(reader, ["/sys/kernel/debug/sched/features", "/sys/kernel/debug/sched_features"],
                           lambda t: t.split())
    out["features"] = features
    if features["value"]:
        names = set(features["value"])
        if names & set(EEVDF_FEATURES):
            out["class"] = probe("EEVDF", features["source"] + " (has %s)" % ", ".join(
                sorted(names & set(EEVDF_FEATURES))))
        else:
            out["class"] = probe("CFS", features["source"] + " (no EEVDF feature such as PLACE_LAG)")
    else:
        release = ctx.release()
        rel = release["value"]
        if rel is None:
            out["class"] = missing(release["source"], "no kernel release and no sched_features: %s"
                                   % features["reason"])
        else:
            kind = "EEVDF" if (rel["major"], rel["minor"]) >= (6, 6) else "CFS"
            out["class"] = probe(kind, "kernel release %s (EEVDF replaced CFS in 6.6; sched_features unreadable)"
                                 % rel["string"])
    out["autogroup"] = read_probe(reader, "/proc/sys/kernel/sched_autogroup_enabled", as_int)
    # The CPUs a process may use (what `nproc` prints, the GOMAXPROCS cap); under another root, the online ones.
    count, reason = ctx.syscalls.cpu_affinity()
    if count is not None:
        out["cpus"] = probe(count, "sched_getaffinity(0)")
    else:
        out["cpus"] = read_probe(reader, "/sys/devices/system/cpu/online", parse_cpu_list)
        if out["cpus"]["value"] is None and ctx.reader.live():
            out["cpus"]["reason"] = "%s; %s" % (reason, out["cpus"]["reason"])
    out["sched_ext"] = read_probe(reader, "/sys/kernel/sched_ext/state")
    return out


# ----------------------------------------------------------------------------------------------------------------
# time


def probe_time(ctx):
    out = {}
    current, available = ctx.clocksource()
    out["clocksource"] = current
    out["available_clocksources"] = available
    try:
        maps = ctx.reader.read("/proc/self/maps")
        out["vdso"] = probe("[vdso]" in maps, "/proc/self/maps")
    except ProbeError as exc:
        address, reason = ctx.syscalls.vdso_address()
        if address is None:
            out["vdso"] = missing("/proc/self/maps, getauxval(AT_SYSINFO_EHDR)", "%s; %s" % (exc, reason))
        else:
            out["vdso"] = probe(address != 0, "getauxval(AT_SYSINFO_EHDR)")
    if ctx.options.get("timing"):
        calls = ctx.options.get("timing_calls") or 100000
        for name, clock in (("monotonic", "CLOCK_MONOTONIC"), ("realtime", "CLOCK_REALTIME")):
            value, reason = ctx.syscalls.clock_ns_per_call(clock, calls)
            out["timing_" + name] = probe(value, "clock_gettime(%s) x %d, best of 5" % (clock, calls), reason)
    else:
        for name in ("monotonic", "realtime"):
            out["timing_" + name] = missing("clock_gettime", "timing probe off (set timing=true)")
    return out


# ----------------------------------------------------------------------------------------------------------------
# security


def parse_apparmor_profiles(text):
    modes = {}
    for line in text.splitlines():
        match = re.match(r"^(.*) \((\w+)\)$", line.strip())
        if match:
            modes[match.group(2)] = modes.get(match.group(2), 0) + 1
    return modes


def probe_security(ctx):
    reader = ctx.reader
    out = {}
    out["lsm"] = read_probe(reader, "/sys/kernel/security/lsm", lambda t: [w for w in t.split(",") if w])
    out["apparmor_enabled"] = read_probe(reader, "/sys/module/apparmor/parameters/enabled", as_yn)
    if out["apparmor_enabled"]["reason"] and out["apparmor_enabled"]["reason"].startswith("not present"):
        out["apparmor_enabled"] = probe(False, "/sys/module/apparmor (absent: AppArmor not built in)")
    profiles = "/sys/kernel/security/apparmor/profiles"
    if out["apparmor_enabled"]["value"] is False:
        out["apparmor_profiles"] = missing(profiles, "AppArmor is not enabled")
    else:
        out["apparmor_profiles"] = read_probe(reader, profiles, parse_apparmor_profiles)
    out["apparmor_restrict_unprivileged_userns"] = read_probe(
        reader, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", as_int)
    # The policy ABIs the installed AppArmor user space can compile for (AppArmor 4: 4.0 and 3.0; 3: 3.0 only).
    try:
        names = reader.listdir("/etc/apparmor.d/abi")
        out["apparmor_policy_abis"] = probe([n for n in names if re.match(r"^[0-9]+(\.[0-9]+)*$", n)],
                                            "/etc/apparmor.d/abi")
    except ProbeError as exc:
        out["apparmor_policy_abis"] = missing("/etc/apparmor.d/abi", str(exc))
    out["seccomp_actions"] = read_probe(reader, "/proc/sys/kernel/seccomp/actions_avail", lambda t: t.split())
    out["lockdown"] = read_probe(reader, "/sys/kernel/security/lockdown", lambda t: bracketed(t)["selected"])

    # Secure Boot: an efivar is 4 bytes of attributes then the data; SecureBoot's data is one byte, 1 = on.
    try:
        data = reader.read_bytes(SECUREBOOT_VAR)
        if len(data) < 5:
            out["secure_boot"] = missing(SECUREBOOT_VAR, "unexpected length %d (want 4-byte header + 1)" % len(data))
        else:
            value = {"enabled": data[4] == 1}
            try:
                setup = reader.read_bytes(SETUPMODE_VAR)
                value["setup_mode"] = len(setup) >= 5 and setup[4] == 1
            except ProbeError:
                value["setup_mode"] = None
            out["secure_boot"] = probe(value, SECUREBOOT_VAR)
    except ProbeError as exc:
        if reader.exists("/sys/firmware/efi"):
            out["secure_boot"] = missing(SECUREBOOT_VAR, "EFI boot but %s" % exc)
        else:
            out["secure_boot"] = missing(
                "/sys/firmware/efi", "no EFI variables visible (legacy BIOS boot, or /sys/firmware hidden in a container)")

    tpm = "/sys/class/tpm/tpm0"
    if reader.exists(tpm):
        version = read_probe(reader, tpm + "/tpm_version_major", as_int)
        out["tpm"] = probe({"present": True, "version": version["value"]}, tpm, version["reason"])
    elif reader.exists("/sys/class/tpm"):
        out["tpm"] = probe({"present": False, "version": None}, "/sys/class/tpm (no tpm0)")
    else:
        out["tpm"] = missing("/sys/class/tpm", "not present (no TPM driver, or /sys/class hidden)")

    out["module_sig_enforce"] = read_probe(reader, "/sys/module/module/parameters/sig_enforce", as_yn)
    out["modules_disabled"] = read_probe(reader, "/proc/sys/kernel/modules_disabled", as_int)
    out["ptrace_scope"] = read_probe(reader, "/proc/sys/kernel/yama/ptrace_scope", as_int)
    out["perf_event_paranoid"] = read_probe(reader, "/proc/sys/kernel/perf_event_paranoid", as_int)
    out["kptr_restrict"] = read_probe(reader, "/proc/sys/kernel/kptr_restrict", as_int)
    out["dmesg_restrict"] = read_probe(reader, "/proc/sys/kernel/dmesg_restrict", as_int)

    maxns = read_probe(reader, "/proc/sys/user/max_user_namespaces", as_int)
    clone = read_probe(reader, "/proc/sys/kernel/unprivileged_userns_clone", as_int)  # Debian's switch
    if maxns["value"] is None:
        out["user_namespaces"] = maxns
    else:
        value = {
            "max": maxns["value"],
            "unprivileged_clone": clone["value"],
            "unprivileged_allowed": maxns["value"] > 0 and clone["value"] != 0,
        }
        sources = [maxns["source"]] + ([clone["source"]] if clone["value"] is not None else [])
        out["user_namespaces"] = probe(value, ", ".join(sources))
    return out


# ----------------------------------------------------------------------------------------------------------------
# platform

DMI_VENDORS = (
    ("KVM", "kvm"), ("OpenStack", "kvm"), ("KubeVirt", "kvm"), ("Amazon EC2", "amazon"), ("QEMU", "qemu"),
    ("VMware", "vmware"), ("VMW", "vmware"), ("innotek GmbH", "oracle"), ("VirtualBox", "oracle"),
    ("Oracle Corporation", "oracle"), ("Xen", "xen"), ("Bochs", "bochs"), ("Parallels", "parallels"),
    ("BHYVE", "bhyve"), ("Hyper-V", "microsoft"), ("Apple Virtualization", "apple"), ("Google", "google"),
)


def detect_container(ctx):
    reader = ctx.reader
    release = ctx.release()["value"]
    if release and "microsoft" in release["string"].lower():
        return "wsl", "/proc/sys/kernel/osrelease contains microsoft"
    if reader.exists("/proc/vz") and not reader.exists("/proc/bc"):
        return "openvz", "/proc/vz"
    for path in ("/run/systemd/container", "/run/host/container-manager"):
        try:
            name = reader.line(path)
            if name:
                return name, path
        except ProbeError:
            pass
    try:
        for item in reader.read_bytes("/proc/1/environ").split(b"\0"):
            if item.startswith(b"container="):
                name = item[len(b"container="):].decode("utf-8", "replace")
                if name:
                    return name, "/proc/1/environ container="
    except ProbeError:
        pass
    if reader.exists("/run/.containerenv"):
        return "podman", "/run/.containerenv"
    if reader.exists("/.dockerenv"):
        return "docker", "/.dockerenv"
    return "none", "no container marker (/run/systemd/container, /proc/1/environ, /.dockerenv, /run/.containerenv)"


def detect_vm(ctx):
    reader = ctx.reader
    for path in ("/sys/class/dmi/id/product_name", "/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/board_vendor",
                 "/sys/class/dmi/id/bios_vendor"):
        try:
            text = reader.line(path)
        except ProbeError:
            continue
        for prefix, name in DMI_VENDORS:
            if text.startswith(prefix):
                return name, "%s: %s" % (path, text)
        if text == "Microsoft Corporation" and reader.exists("/sys/class/dmi/id/product_name"):
            try:
                if reader.line("/sys/class/dmi/id/product_name") == "Virtual Machine":
                    return "microsoft", "/sys/class/dmi/id: Microsoft Corporation Virtual Machine"
            except ProbeError:
                pass
    try:
        if reader.line("/sys/hypervisor/type") == "xen":
            return "xen", "/sys/hypervisor/type"
    except ProbeError:
        pass
    try:
        compatible = reader.read("/proc/device-tree/hypervisor/compatible")
        if "linux,kvm" in compatible:
            return "kvm", "/proc/device-tree/hypervisor/compatible"
        if "xen" in compatible:
            return "xen", "/proc/device-tree/hypervisor/compatible"
    except ProbeError:
        pass
    try:
        flags = ""
        for line in reader.read("/proc/cpuinfo").splitlines():
            if line.startswith("flags"):
                flags = line
                break
    except ProbeError:
        flags = ""
    if " hypervisor" in flags:
        available = ctx.clocksource()[1]["value"] or []
        for source, name in (("kvm-clock", "kvm"), ("hyperv_clocksource_tsc_page", "microsoft"), ("xen", "xen")):
            if source in available:
                return name, "/proc/cpuinfo hypervisor flag, clocksource %s" % source
        return "vm-other", "/proc/cpuinfo hypervisor flag (unknown hypervisor)"
    return "none", "no DMI vendor, device-tree or cpuinfo hypervisor marker"


def probe_platform(ctx):
    reader = ctx.reader
    out = {}
    container, csrc = detect_container(ctx)
    vm, vsrc = detect_vm(ctx)
    if container == "wsl":
        vm, vsrc = "microsoft", "WSL2 runs in a Hyper-V VM"
    out["virtualization"] = probe({
        "type": container if container != "none" else vm,
        "container": container,
        "vm": vm,
    }, "%s; %s" % (csrc, vsrc))

    release = ctx.release()
    if release["value"] is None:
        out["wsl"] = missing(release["source"], release["reason"])
    else:
        text = release["value"]["string"]
        wsl = "WSL2" if "microsoft-standard-wsl2" in text.lower() else ("WSL1" if "microsoft" in text.lower() else "none")
        out["wsl"] = probe(wsl, "%s (%s)" % (release["source"], text))

    model = "/proc/device-tree/model"
    try:
        text = reader.read_bytes(model).rstrip(b"\0").decode("utf-8", "replace").strip()
        out["device_tree_model"] = probe(text, model)
        out["raspberry_pi"] = probe(text if text.startswith("Raspberry Pi") else "none", model)
    except ProbeError as exc:
        out["device_tree_model"] = missing(model, str(exc))
        out["raspberry_pi"] = probe("none", model + " (absent: not a device-tree machine)") \
            if "not present" in str(exc) else missing(model, str(exc))

    nvidia = "/proc/driver/nvidia/version"
    try:
        text = reader.read(nvidia)
        match = re.search(r"Kernel Module(?: for \w+)?\s+([0-9][0-9.]+)", text)
        out["nvidia"] = probe({"loaded": True, "version": match.group(1) if match else None}, nvidia)
    except ProbeError as exc:
        if "not present" in str(exc):
            out["nvidia"] = probe({"loaded": False, "version": None}, nvidia + " (absent)")
        else:
            out["nvidia"] = missing(nvidia, str(exc))

    if reader.exists("/sys/module/nouveau"):
        out["nouveau"] = probe("loaded", "/sys/module/nouveau")
    else:
        state, source = "not loaded", "/sys/module/nouveau (absent)"
        try:
            for name in reader.listdir("/etc/modprobe.d"):
                try:
                    text = reader.read("/etc/modprobe.d/" + name)
                except ProbeError:
                    continue
                if re.search(r"^\s*blacklist\s+nouveau\b", text, re.M):
                    state, source = "blacklisted", "/etc/modprobe.d/" + name
                    break
        except ProbeError:
            pass
        out["nouveau"] = probe(state, source)
    return out


PROBES = {
    "kernel": probe_kernel,
    "cgroup": probe_cgroup,
    "ebpf": probe_ebpf,
    "io_uring": probe_io_uring,
    "memory": probe_memory,
    "scheduler": probe_scheduler,
    "time": probe_time,
    "security": probe_security,
    "platform": probe_platform,
}


def gather(ctx, groups):
    """Run the probe groups; a group that raises an unexpected error is reported, never fatal."""
    out = {}
    for group in GROUPS:
        if group not in groups:
            continue
        try:
            out[group] = PROBES[group](ctx)
        except Exception as exc:  # pylint: disable=broad-except
            out[group] = {"error": missing(group, "probe group failed: %s: %s" % (type(exc).__name__, exc))}
    return out
