#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: syscall_allowlist
short_description: Derive a systemd SystemCallFilter= allow list (and a SystemCallLog= list) from strace runs
version_added: 1.0.0
description:
  - Runs a command under C(strace -f) (and optionally exercises it with a shell snippet while it runs), and/or reads
    existing strace logs, collects the system calls seen, merges them with the ones recorded by earlier runs in a
    state file, and returns a list suitable for C(SystemCallFilter=).
  - A trace never shows every code path, so by default (O(base=system-service)) the filter is systemd's
    C(@system-service) plus what was seen outside it, and RV(log) is a C(SystemCallLog=) list that logs every call
    the unit makes that the trace did not see (to the kernel audit log). Once those logs stay quiet, RV(tight_filter)
    (what O(base=observed) returns) can replace the filter.
  - strace logs in every layout strace writes are read (C(-f), C(-ff), C(-Y), C(-t)/C(-tt)/C(-ttt), C(-r), C(-T),
    C(-n), C(-i), C(-y), C(-k), C(-X), C(-c) and C(-C) summaries). A line that is none of these fails the task,
    naming the file and the line; so does a log, a run or a state file that holds no system call (an empty
    C(SystemCallFilter=) would apply no filter at all).
  - System calls of systemd's C(@default) set are left out (systemd always adds C(@default) to an allow list).
    Where every member of a systemd group (read from C(systemd-analyze syscall-filter) on the target) is covered by
    the calls seen, the group name (for example C(@signal)) replaces its members.
  - Groups list system calls of every architecture. When a system call table of the target's architecture is known
    (O(arch_syscalls), or O(syscall_table), by default the kernel headers' C(asm/unistd_64.h) when installed),
    only the members that exist on this architecture must be covered.
  - Tracing only sees the code paths the run exercised. Run the service through its real work (O(exercise)), and
    merge several runs. With C(SystemCallErrorNumber=EPERM) (as noble.gohost.go_service sets) a denied call fails
    with EPERM instead of killing the process, but the program still breaks on it.
author:
  - noble.gohost developers (@noble-gohost)
requirements:
  - strace on the target (when O(command) is given)
  - systemd-analyze on the target (for the group names)
options:
  command:
    description:
      - The command to trace, as a list (no shell). It is stopped with SIGTERM after O(timeout) seconds, or as soon
        as O(exercise) is done.
    type: list
    elements: str
  chdir:
    description: Directory to run O(command) in.
    type: path
  environment:
    description: Extra environment variables for O(command).
    type: dict
    default: {}
  timeout:
    description: Longest time O(command) may run, in seconds.
    type: int
    default: 20
  exercise:
    description:
      - A shell snippet run while O(command) is traced (for example C(curl -fsS http://127.0.0.1:8080/healthz)),
        after O(exercise_delay) seconds. Its exit status is returned as RV(exercise_rc).
    type: str
  exercise_delay:
    description: Seconds to wait after starting O(command) before running O(exercise).
    type: float
    default: 1.0
  strace_logs:
    description:
      - Existing strace output files to read as well, in any layout strace writes (see above); with C(strace -ff -o
        PREFIX), list every C(PREFIX.<pid>) file.
    type: list
    elements: path
    default: []
  state_file:
    description:
      - JSON file where the system calls seen are kept and merged over runs. Without it, only this run counts.
    type: path
  extra_syscalls:
    description: System calls (or C(@groups)) always added to the result.
    type: list
    elements: str
    default: []
  use_groups:
    description: Replace fully covered systemd groups by their C(@name).
    type: bool
    default: true
  base:
    description:
      - What the filter starts from.
      - C(system-service) - systemd's C(@system-service) group plus every call seen outside it; RV(log) logs the
        calls allowed but not seen.
      - C(groups) - for each call seen, the smallest systemd group holding it (whole), plus the calls in no group;
        RV(log) as above.
      - C(observed) - only what was seen (the groups whose members were all seen, and single calls); RV(log) is
        empty. Use it to tighten once the logs of a wider filter are quiet.
    type: str
    choices: [system-service, groups, observed]
    default: system-service
  arch_syscalls:
    description:
      - Names of the system calls of the target's architecture (overrides O(syscall_table)).
    type: list
    elements: str
  syscall_table:
    description:
      - A C header with C(#define __NR_<name> <nr>) lines (the kernel's C(asm/unistd_64.h)) giving the system calls
        of the architecture. When unset, C(/usr/include/<multiarch>/asm/unistd_64.h) is used if it exists.
    type: path
  strace:
    description: The strace program.
    type: str
    default: strace
notes:
  - In check mode the command is not run and the state file is not written; logs and the state file are read.
    When they hold nothing yet, the task is skipped (RV(filter) is not returned).
  - Seccomp's error action outranks its log action, so systemd does not log a call that C(SystemCallFilter=) denies
    even when C(SystemCallLog=) lists it; RV(log) therefore logs the calls the wide filter still allows.
  - C(SystemCallLog=) needs systemd 247 or later; the records are kernel audit messages (C(type=1326) or
    C(SECCOMP), C(code=0x7ffc0000)), in C(journalctl -k) or C(_TRANSPORT=audit), or in auditd's log.
seealso:
  - name: systemd.exec SystemCallFilter=
    description: How the allow list is applied.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#SystemCallFilter=
  - name: systemd.exec SystemCallLog=
    description: Which calls are logged.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#SystemCallLog=
"""

EXAMPLES = r"""
- name: Trace the service while its health endpoint is called
  noble.gohost.syscall_allowlist:
    command: [/opt/go-services/api/current/api, -listen, 127.0.0.1:8080]
    exercise: curl -fsS http://127.0.0.1:8080/healthz
    timeout: 15
    state_file: /var/lib/go-service-syscalls/api.json
  register: api_syscalls

- name: Use the lists in the unit
  ansible.builtin.set_fact:
    api_filter: "{{ api_syscalls.filter }}"  # @system-service and what was seen outside it
    api_log: "{{ api_syscalls.log }}"  # SystemCallLog=: the calls the trace did not see

- name: Tighten once the audit log shows no call of the service (only what was seen)
  noble.gohost.syscall_allowlist:
    state_file: /var/lib/go-service-syscalls/api.json
    base: observed
  register: api_tight

- name: Merge logs collected elsewhere
  noble.gohost.syscall_allowlist:
    strace_logs: [/var/tmp/api.strace]
    state_file: /var/lib/go-service-syscalls/api.json
"""

RETURN = r"""
filter:
  description:
    - The allow list for C(SystemCallFilter=), groups first, then single system calls, sorted (then
      O(extra_syscalls)). Never empty (only C(@default) when every call seen is in it).
  returned: unless skipped in check mode
  type: list
  elements: str
  sample: ["@system-service", "pidfd_getfd"]
tight_filter:
  description: The allow list of only what was seen (the RV(filter) of O(base=observed)).
  returned: unless skipped in check mode
  type: list
  elements: str
  sample: ["@signal", "accept4", "epoll_ctl", "openat"]
log:
  description:
    - The list for C(SystemCallLog=), C(~) first (log every call except those listed), then C(@default) and
      RV(tight_filter); so each call of the unit that the trace did not see, and RV(filter) allows, is logged.
      Empty when RV(filter) is RV(tight_filter).
  returned: unless skipped in check mode
  type: list
  elements: str
  sample: ["~@default", "@signal", "accept4", "epoll_ctl", "openat"]
base:
  description: O(base).
  returned: unless skipped in check mode
  type: str
unknown_syscalls:
  description: Calls strace could not name (C(syscall_0x1b6)), left out of the lists (a warning says so).
  returned: unless skipped in check mode
  type: list
  elements: str
syscalls:
  description: Every system call seen (this run, the logs and the state file), sorted.
  returned: unless skipped in check mode
  type: list
  elements: str
new_syscalls:
  description: System calls seen now that the state file did not hold yet.
  returned: unless skipped in check mode
  type: list
  elements: str
groups:
  description: The systemd groups used in RV(filter).
  returned: unless skipped in check mode
  type: list
  elements: str
arch_filtered:
  description: Whether group coverage was judged on the architecture's system call table.
  returned: unless skipped in check mode
  type: bool
rc:
  description: Exit status of the traced run (124 or 143 when it was stopped at the end).
  returned: when O(command) ran
  type: int
exercise_rc:
  description: Exit status of O(exercise).
  returned: when O(exercise) ran
  type: int
"""

import glob
import json
import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.noble.gohost.plugins.module_utils import _strace

_NR_RE = re.compile(r"^#define\s+__NR_([a-z0-9_]+)\s+\d+", re.M)
_RUNNER = (
    'timeout -s TERM -k 5 "$@" & p=$!; '
    'if [ -n "$GOHOST_EXERCISE" ]; then sleep "$GOHOST_DELAY"; sh -c "$GOHOST_EXERCISE"; e=$?; '
    'echo "exercise_rc=$e" >&2; kill -TERM "$p" 2>/dev/null; fi; wait "$p"'
)
# Groups that are not a kind of work: every call, the implicit base, and the broad base itself.
_NOT_COVERING = ("@default", "@known", "@system-service")


def parse_strace(text, source="strace output"):
    """System call names in strace output (every layout strace writes); raises StraceParseError."""
    return _strace.syscalls(text, source)


def parse_groups(text):
    """{'@group': set(members incl. nested @groups)} from ``systemd-analyze syscall-filter`` output."""
    groups = {}
    current = None
    for line in text.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = set()
        elif not line.strip() or not line.startswith(" "):
            current = None
        elif current is not None:
            item = line.strip()
            if not item.startswith("#"):
                groups[current].add(item)
    return groups


def expand(groups, name, seen=None):
    """Every system call of a group, nested groups expanded."""
    seen = set() if seen is None else seen
    if name in seen:
        return set()
    seen.add(name)
    out = set()
    for item in groups.get(name, ()):
        if item.startswith("@"):
            out |= expand(groups, item, seen)
        else:
            out.add(item)
    return out


def build_filter(seen, groups, arch=None, use_groups=True):
    """(filter list, groups used) for the calls ``seen``."""
    default = expand(groups, "@default")
    if arch is not None:
        default &= arch
    remaining = set(seen) - default
    used = []
    if use_groups:
        candidates = []
        for name in groups:
            if name in ("@default", "@known"):
                continue
            members = expand(groups, name)
            if arch is not None:
                members &= arch
            members -= default
            if members:
                candidates.append((len(members), name, members))
        covered = set(seen) | default
        for _size, name, members in sorted(candidates, key=lambda c: (-c[0], c[1])):
            if members <= covered and members & remaining:
                used.append(name)
                remaining -= members
    return sorted(used) + sorted(remaining), sorted(used)


def covering_groups(seen, groups, arch=None):
    """For each call seen outside @default, the smallest systemd group holding it (ties: by name); calls in no
    group stay single. Returns the set of groups and names."""
    default = expand(groups, "@default")
    sizes = []
    for name in groups:
        if name in _NOT_COVERING:
            continue
        members = expand(groups, name)
        if arch is not None:
            members &= arch
        if members:
            sizes.append((len(members), name, members))
    sizes.sort(key=lambda c: (c[0], c[1]))
    out = set()
    for call in set(seen) - default:
        for _size, name, members in sizes:
            if call in members:
                out.add(name)
                break
        else:
            out.add(call)
    return out


def allowed_by(items, groups, arch=None):
    """Every system call a SystemCallFilter= allow list of ``items`` lets through (with @default, as systemd)."""
    out = expand(groups, "@default")
    for item in items:
        out |= expand(groups, item) if item.startswith("@") else {item}
    if arch is not None:
        out &= arch
    return out


def derive(seen, groups, base="system-service", arch=None, use_groups=True):
    """{filter, tight_filter, log, groups}: the allow list for SystemCallFilter=, the list of only what was seen
    (what base=observed gives), and the SystemCallLog= list (empty, or "~" and the calls seen: log every call the
    tight list would deny)."""
    tight, tight_groups = build_filter(seen, groups, arch=arch, use_groups=use_groups)
    if not tight:
        tight = ["@default"]  # everything seen is in @default; an empty SystemCallFilter= would allow every call
    if base == "observed":
        return dict(filter=list(tight), tight_filter=tight, log=[], groups=tight_groups)
    if base == "system-service":
        wide = set(seen) | allowed_by(["@system-service"], groups, arch)
        filt, used = build_filter(wide, groups, arch=arch, use_groups=use_groups)
        if "@system-service" not in filt:
            # without use_groups the names are listed one by one: still start from the group itself
            filt = ["@system-service"] + sorted(set(seen) - allowed_by(["@system-service"], groups, arch))
            used = ["@system-service"]
    else:
        cover = covering_groups(seen, groups, arch)
        used = sorted(n for n in cover if n.startswith("@"))
        filt = used + sorted(n for n in cover if not n.startswith("@"))
        if not filt:
            filt = ["@default"]
    log = [] if set(filt) == set(tight) else ["~@default"] + [n for n in tight if n != "@default"]
    return dict(filter=filt, tight_filter=tight, log=log, groups=used)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            command=dict(type="list", elements="str"),
            chdir=dict(type="path"),
            environment=dict(type="dict", default={}),
            timeout=dict(type="int", default=20),
            exercise=dict(type="str"),
            exercise_delay=dict(type="float", default=1.0),
            strace_logs=dict(type="list", elements="path", default=[]),
            state_file=dict(type="path"),
            extra_syscalls=dict(type="list", elements="str", default=[]),
            use_groups=dict(type="bool", default=True),
            base=dict(type="str", default="system-service", choices=["system-service", "groups", "observed"]),
            arch_syscalls=dict(type="list", elements="str"),
            syscall_table=dict(type="path"),
            strace=dict(type="str", default="strace"),
        ),
        required_one_of=[("command", "strace_logs", "state_file")],
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False)
    seen = set()

    previous = set()
    if p["state_file"] and os.path.exists(p["state_file"]):
        try:
            with open(p["state_file"]) as fh:
                previous = set(json.load(fh).get("syscalls", []))
        except (OSError, ValueError) as exc:
            module.fail_json(msg="cannot read state_file %s: %s" % (p["state_file"], exc))

    unknown = set()

    def read_log(path, source):
        try:
            with open(path, errors="replace") as fh:
                trace = _strace.parse(fh.read(), source)
        except OSError as exc:
            module.fail_json(msg="cannot read strace log %s: %s" % (source, exc))
        except _strace.StraceParseError as exc:
            module.fail_json(msg=str(exc))
        unknown.update(trace.unknown)
        return trace

    for log in p["strace_logs"]:
        trace = read_log(log, log)
        if not trace.names:
            module.fail_json(msg="strace log %s holds no system call (%d lines): empty, cut short, or traced with "
                                 "-e trace=none?" % (log, trace.lines))
        seen |= trace.names

    if p["command"] and not module.check_mode:
        strace = module.get_bin_path(p["strace"], required=True)
        if p["timeout"] < 1:
            module.fail_json(msg="timeout must be at least 1 second, got %d" % p["timeout"])
        fd, log = tempfile.mkstemp(prefix="syscall_allowlist.", suffix=".strace")
        os.close(fd)
        try:
            argv = ["/bin/sh", "-c", _RUNNER, "sh", str(p["timeout"]), strace, "-f", "-qq", "-o", log, "--"]
            env = dict((k, str(v)) for k, v in p["environment"].items())
            env["GOHOST_EXERCISE"] = p["exercise"] or ""
            env["GOHOST_DELAY"] = str(p["exercise_delay"])
            rc, out, err = module.run_command(argv + p["command"], cwd=p["chdir"], environ_update=env)
            result["rc"] = rc
            match = re.search(r"exercise_rc=(\d+)", err)
            if match:
                result["exercise_rc"] = int(match.group(1))
            traced = read_log(log, "the trace of %s" % p["command"][0]).names
            if not traced:
                module.fail_json(msg="strace saw no system call (rc=%d): %s" % (rc, err.strip()[-2000:]),
                                 stdout=out, stderr=err, rc=rc)
            seen |= traced
        finally:
            os.unlink(log)

    arch = None
    if p["arch_syscalls"]:
        arch = set(p["arch_syscalls"])
    else:
        tables = [p["syscall_table"]] if p["syscall_table"] else sorted(glob.glob("/usr/include/*/asm/unistd_64.h"))
        for table in tables:
            try:
                with open(table) as fh:
                    arch = set(_NR_RE.findall(fh.read()))
                break
            except OSError as exc:
                if p["syscall_table"]:
                    module.fail_json(msg="cannot read syscall_table %s: %s" % (table, exc))

    everything = seen | previous
    if not everything:
        if module.check_mode and p["command"]:
            module.exit_json(changed=True, skipped=True,
                             msg="check mode: the command is not traced, and no log or state file holds a system call")
        given = [key for key in ("strace_logs", "command", "state_file") if p[key]]
        module.fail_json(msg="no system call seen: %s hold none, so there is no filter to give (an empty "
                             "SystemCallFilter= would apply no filter at all)" % " and ".join(given))
    if unknown:
        module.warn("strace could not name %s: these calls cannot be put in SystemCallFilter= by name (a newer "
                    "strace knows them)" % ", ".join(sorted(unknown)))

    groups = {}
    if p["use_groups"] or p["base"] != "observed":
        analyze = module.get_bin_path("systemd-analyze", required=True)
        rc, out, err = module.run_command([analyze, "syscall-filter", "--no-pager"], check_rc=False)
        if rc != 0 or "@default" not in out:
            module.fail_json(msg="systemd-analyze syscall-filter failed (rc=%d): %s" % (rc, err.strip()))
        groups = parse_groups(out)
    else:
        groups = {}

    derived = derive(everything, groups, base=p["base"], arch=arch, use_groups=p["use_groups"])
    filt, tight, log = derived["filter"], derived["tight_filter"], derived["log"]
    for extra in p["extra_syscalls"]:
        for target in (filt, tight) + ((log,) if log else ()):
            if extra not in target:
                target.append(extra)
    if not filt:  # cannot happen (derive falls back to @default): an empty filter would be no filter at all
        module.fail_json(msg="internal error: empty filter derived from %d system calls" % len(everything))
    result.update(
        filter=filt,
        tight_filter=tight,
        log=log,
        base=p["base"],
        unknown_syscalls=sorted(unknown),
        syscalls=sorted(everything),
        new_syscalls=sorted(everything - previous),
        groups=derived["groups"],
        arch_filtered=arch is not None,
    )

    if p["state_file"] and (everything != previous or not os.path.exists(p["state_file"])):
        result["changed"] = True
        if not module.check_mode:
            directory = os.path.dirname(p["state_file"]) or "."
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            payload = json.dumps({"syscalls": sorted(everything)}, indent=1, sort_keys=True) + "\n"
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".syscall_allowlist.")
            with os.fdopen(fd, "w") as fh:
                fh.write(payload)
            module.atomic_move(tmp, p["state_file"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
