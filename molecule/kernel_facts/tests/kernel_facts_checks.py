# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compares noble.gohost.kernel_facts with readings taken on the host itself through a testinfra host.

Reusable by any scenario (container or VM tier):

    sys.path.insert(0, "<repo>/molecule/kernel_facts/tests")
    from kernel_facts_checks import gather, compare

    def test_kernel_facts(host):
        facts = gather(host)
        problems = compare(host, facts)
        assert not problems, "\\n".join(problems)

``compare`` returns a list of mismatches (empty when everything agrees) and never raises on a missing tool: a reading
the host cannot give is skipped and listed in ``compare.skipped`` of the returned list's ``skipped`` attribute.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


class Problems(list):
    """Mismatches; ``.skipped`` lists the readings that could not be taken, ``.compared`` those that agreed."""

    def __init__(self):
        super(Problems, self).__init__()
        self.skipped = []
        self.compared = []


def gather(host, **args):
    """gohost_kernel from a real run of the module on ``host`` (check mode: the module changes nothing anyway)."""
    result = host.ansible("noble.gohost.kernel_facts", json.dumps(args) if args else None, check=True)
    assert not result.get("failed"), result
    assert result.get("changed") is False, result
    return result["ansible_facts"]["gohost_kernel"]


def _out(host, command):
    """stdout of a command on the host, or None when it fails (tool missing, file absent)."""
    cmd = host.run(command)
    return cmd.stdout.strip() if cmd.rc == 0 else None


def compare(host, facts):
    problems = Problems()

    def same(name, got, expected):
        if expected is None:
            problems.skipped.append(name)
        elif got != expected:
            problems.append("%s: module says %r, the host says %r" % (name, got, expected))
        else:
            problems.compared.append(name)

    # kernel release and architecture: uname
    same("kernel.release", facts["kernel"]["release"]["value"]["string"], _out(host, "uname -r"))
    same("kernel.arch", facts["kernel"]["arch"]["value"], _out(host, "uname -m"))
    os_release = _out(host, ". /etc/os-release && echo $VERSION_CODENAME")
    same("kernel.distribution.codename", facts["kernel"]["distribution"]["value"]["codename"], os_release)

    # cgroup mode: stat -f (filesystem type names of coreutils)
    top = _out(host, "stat -f -c %T /sys/fs/cgroup")
    if top == "cgroup2fs":
        mode = "unified"
    elif top == "tmpfs":
        mode = "hybrid" if _out(host, "stat -f -c %T /sys/fs/cgroup/unified") == "cgroup2fs" else "v1"
    else:
        mode = None
    same("cgroup.mode", facts["cgroup"]["mode"]["value"], mode)
    if mode == "unified":
        same("cgroup.controllers.available", facts["cgroup"]["controllers"]["value"]["available"],
             (_out(host, "cat /sys/fs/cgroup/cgroup.controllers") or "").split())

    # bpffs: findmnt
    bpf = _out(host, "findmnt -n -l -t bpf -o TARGET")
    if host.exists("findmnt"):
        same("ebpf.bpffs.mounted", facts["ebpf"]["bpffs"]["value"]["mounted"], bool(bpf))
    same("ebpf.btf.present", facts["ebpf"]["btf"]["value"]["present"], host.file("/sys/kernel/btf/vmlinux").exists)

    # sysctls: sysctl -n
    for group, name, key in (("ebpf", "unprivileged_bpf_disabled", "kernel.unprivileged_bpf_disabled"),
                             ("ebpf", "jit_enable", "net.core.bpf_jit_enable"),
                             ("io_uring", "disabled", "kernel.io_uring_disabled"),
                             ("security", "perf_event_paranoid", "kernel.perf_event_paranoid"),
                             ("security", "kptr_restrict", "kernel.kptr_restrict"),
                             ("scheduler", "autogroup", "kernel.sched_autogroup_enabled")):
        reading = _out(host, "sysctl -n %s" % key) if host.exists("sysctl") else _out(
            host, "cat /proc/sys/%s" % key.replace(".", "/"))
        same("%s.%s" % (group, name), facts[group][name]["value"], int(reading) if reading is not None else None)
    actions = _out(host, "cat /proc/sys/kernel/seccomp/actions_avail")
    same("security.seccomp_actions", facts["security"]["seccomp_actions"]["value"], actions.split() if actions else None)

    # time
    same("time.clocksource", facts["time"]["clocksource"]["value"],
         _out(host, "cat /sys/devices/system/clocksource/clocksource0/current_clocksource"))
    maps = _out(host, "cat /proc/self/maps")
    same("time.vdso", facts["time"]["vdso"]["value"], ("[vdso]" in maps) if maps is not None else None)

    # platform: systemd-detect-virt (exit 1 with "none")
    if host.exists("systemd-detect-virt"):
        container = host.run("systemd-detect-virt --container").stdout.strip() or "none"
        same("platform.virtualization.container", facts["platform"]["virtualization"]["value"]["container"],
             container)
    zswap = _out(host, "cat /sys/module/zswap/parameters/enabled")
    same("memory.zswap.enabled", facts["memory"]["zswap"]["enabled"]["value"],
         (zswap == "Y") if zswap is not None else None)

    # every readiness check has the documented shape
    for name, check in facts["readiness"].items():
        if check["status"] not in ("pass", "warn", "fail") or not check["why"] or not check["needed_for"]:
            problems.append("readiness.%s has an unexpected shape: %r" % (name, check))
    return problems
