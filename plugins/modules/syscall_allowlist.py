#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: syscall_allowlist
short_description: Derive a systemd SystemCallFilter= allow list from strace runs
version_added: 1.0.0
description:
  - Runs a command under C(strace -f) (and optionally exercises it with a shell snippet while it runs), and/or reads
    existing strace logs, collects the system calls seen, merges them with the ones recorded by earlier runs in a
    state file, and returns a list suitable for C(SystemCallFilter=).
  - System calls of systemd's C(@default) set are left out (systemd always adds C(@default) to an allow list).
    Where every member of a systemd group (read from C(systemd-analyze syscall-filter) on the target) is covered by
    the calls seen, the group name (for example C(@signal)) replaces its members.
  - Groups list system calls of every architecture. When a system call table of the target's architecture is known
    (O(arch_syscalls), or O(syscall_table), by default the kernel headers' C(asm/unistd_64.h) when installed),
    only the members that exist on this architecture must be covered.
  - Tracing only sees the code paths the run exercised. Run the service through its real work (O(exercise)), and
    merge several runs. The unit applies C(SystemCallErrorNumber=EPERM) so a missed call fails with an error
    instead of killing the process.
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
    description: Existing strace output files (C(strace -f -o FILE)) to read as well.
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
seealso:
  - name: systemd.exec SystemCallFilter=
    description: How the allow list is applied.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#SystemCallFilter=
"""

EXAMPLES = r"""
- name: Trace the service while its health endpoint is called
  noble.gohost.syscall_allowlist:
    command: [/opt/go-services/api/current/api, -listen, 127.0.0.1:8080]
    exercise: curl -fsS http://127.0.0.1:8080/healthz
    timeout: 15
    state_file: /var/lib/go-service-syscalls/api.json
  register: api_syscalls

- name: Use the list in the unit
  ansible.builtin.set_fact:
    api_filter: "{{ api_syscalls.filter }}"

- name: Merge logs collected elsewhere
  noble.gohost.syscall_allowlist:
    strace_logs: [/var/tmp/api.strace]
    state_file: /var/lib/go-service-syscalls/api.json
"""

RETURN = r"""
filter:
  description: The allow list for C(SystemCallFilter=), groups first, then single system calls, sorted.
  returned: always
  type: list
  elements: str
  sample: ["@signal", "accept4", "epoll_ctl", "openat"]
syscalls:
  description: Every system call seen (this run, the logs and the state file), sorted.
  returned: always
  type: list
  elements: str
new_syscalls:
  description: System calls seen now that the state file did not hold yet.
  returned: always
  type: list
  elements: str
groups:
  description: The systemd groups used in RV(filter).
  returned: always
  type: list
  elements: str
arch_filtered:
  description: Whether group coverage was judged on the architecture's system call table.
  returned: always
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

_LINE_RE = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(?:\d+(?::\d+){0,2}(?:\.\d+)?\s+)?([a-z_][a-z0-9_]*)\(")
_NR_RE = re.compile(r"^#define\s+__NR_([a-z0-9_]+)\s+\d+", re.M)
_RUNNER = (
    'timeout -s TERM -k 5 "$@" & p=$!; '
    'if [ -n "$GOHOST_EXERCISE" ]; then sleep "$GOHOST_DELAY"; sh -c "$GOHOST_EXERCISE"; e=$?; '
    'echo "exercise_rc=$e" >&2; kill -TERM "$p" 2>/dev/null; fi; wait "$p"'
)


def parse_strace(text):
    """System call names in strace output (``-f``, with or without PIDs and timestamps)."""
    names = set()
    for line in text.splitlines():
        match = _LINE_RE.match(line)
        if match and not match.group(1).startswith("syscall_"):
            names.add(match.group(1))
    return names


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

    for log in p["strace_logs"]:
        try:
            with open(log, errors="replace") as fh:
                seen |= parse_strace(fh.read())
        except OSError as exc:
            module.fail_json(msg="cannot read strace log %s: %s" % (log, exc))

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
            with open(log, errors="replace") as fh:
                traced = parse_strace(fh.read())
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

    groups = {}
    if p["use_groups"]:
        analyze = module.get_bin_path("systemd-analyze", required=True)
        rc, out, err = module.run_command([analyze, "syscall-filter", "--no-pager"], check_rc=False)
        if rc != 0 or "@default" not in out:
            module.fail_json(msg="systemd-analyze syscall-filter failed (rc=%d): %s" % (rc, err.strip()))
        groups = parse_groups(out)
    else:
        groups = {}

    everything = seen | previous
    filt, used = build_filter(everything, groups, arch=arch, use_groups=p["use_groups"])
    for extra in p["extra_syscalls"]:
        if extra not in filt:
            filt.append(extra)
    result.update(
        filter=filt,
        syscalls=sorted(everything),
        new_syscalls=sorted(everything - previous),
        groups=used,
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
