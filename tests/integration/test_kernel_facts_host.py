# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.kernel_facts on THIS machine, through `ansible`, checked against readings the test takes itself
with other tools (uname, stat -f, findmnt, sysctl, systemd-detect-virt, zcat, a Go program for io_uring).

Run with `make unit` (or `pytest tests/integration`); needs the venv's `ansible` and `make collection`.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import os
import platform
import shutil
import subprocess
import sys
import textwrap

import pytest

import adhoc


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel facts are Linux's")


def run_module(args, check=False):
    """gohost_kernel from `ansible localhost -m noble.gohost.kernel_facts`, with the JSON callback."""
    rc, result = adhoc.run_module("kernel_facts", args, check=check)
    assert rc == 0, result
    assert result["changed"] is False
    return result["ansible_facts"]["gohost_kernel"]


@pytest.fixture(scope="module")
def facts():
    return run_module({"timing": True, "timing_calls": 20000})


def sh(*cmd):
    """stdout of a command, or None when the tool is missing or fails."""
    if shutil.which(cmd[0]) is None:
        return None
    proc = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def sysctl(name):
    return sh("sysctl", "-n", name)


def test_kernel_release_matches_uname(facts):
    release = facts["kernel"]["release"]["value"]
    assert release["string"] == platform.release()
    assert "%d.%d" % (release["major"], release["minor"]) == ".".join(platform.release().split(".")[:2])
    assert facts["kernel"]["arch"]["value"] == platform.machine()


def test_cgroup_mode_matches_stat_f():
    fstype = sh("stat", "-f", "-c", "%T", "/sys/fs/cgroup")
    if fstype is None:
        pytest.skip("stat -f failed on /sys/fs/cgroup")
    mode = run_module({"probes": ["cgroup"]})["cgroup"]["mode"]
    if fstype == "cgroup2fs":
        expected = "unified"
    elif sh("stat", "-f", "-c", "%T", "/sys/fs/cgroup/unified") == "cgroup2fs":
        expected = "hybrid"
    else:
        expected = "v1"
    assert mode["value"] == expected, mode
    assert mode["source"].startswith("statfs(/sys/fs/cgroup)")  # the live path uses the magic, not mountinfo
    with open("/proc/filesystems") as handle:
        if "cgroup2" not in handle.read():
            assert mode["value"] == "v1"


def test_cgroup_controllers_match_proc_cgroups(facts):
    with open("/proc/cgroups") as handle:
        v1 = [l.split()[0] for l in handle if not l.startswith("#") and l.split()[1] != "0" and l.split()[3] == "1"]
    assert facts["cgroup"]["v1_controllers"]["value"] == v1


def test_bpffs_matches_findmnt(facts):
    out = sh("findmnt", "-n", "-l", "-t", "bpf", "-o", "TARGET")
    if out is None and shutil.which("findmnt") is None:
        pytest.skip("findmnt not installed")
    expected = out.split() if out else []
    assert facts["ebpf"]["bpffs"]["value"] == {"mounted": bool(expected), "mountpoints": expected}


def test_sysctls_match_sysctl(facts):
    pairs = [("ebpf", "unprivileged_bpf_disabled", "kernel.unprivileged_bpf_disabled"),
             ("ebpf", "jit_enable", "net.core.bpf_jit_enable"),
             ("ebpf", "bpf_stats_enabled", "kernel.bpf_stats_enabled"),
             ("io_uring", "disabled", "kernel.io_uring_disabled"),
             ("security", "perf_event_paranoid", "kernel.perf_event_paranoid"),
             ("security", "kptr_restrict", "kernel.kptr_restrict"),
             ("scheduler", "autogroup", "kernel.sched_autogroup_enabled"),
             ("security", "ptrace_scope", "kernel.yama.ptrace_scope")]
    compared = 0
    for group, name, key in pairs:
        reading = sysctl(key)
        got = facts[group][name]
        if reading is None:
            assert got["value"] is None and got["reason"], (key, got)
        else:
            assert got["value"] == int(reading), (key, got)
            compared += 1
    assert compared >= 3
    actions = sysctl("kernel.seccomp.actions_avail")
    if actions is not None:
        assert facts["security"]["seccomp_actions"]["value"] == actions.split()


def test_btf_psi_zswap_and_clocksource(facts):
    assert facts["ebpf"]["btf"]["value"]["present"] == os.path.exists("/sys/kernel/btf/vmlinux")
    psi = facts["cgroup"]["psi"]
    assert (psi["value"] is not None) == (sh("cat", "/proc/pressure/cpu") is not None)
    zswap = sh("cat", "/sys/module/zswap/parameters/enabled")
    if zswap is not None:
        assert facts["memory"]["zswap"]["enabled"]["value"] == (zswap == "Y")
    current = sh("cat", "/sys/devices/system/clocksource/clocksource0/current_clocksource")
    assert facts["time"]["clocksource"]["value"] == current
    assert facts["time"]["vdso"]["value"] == ("[vdso]" in (sh("cat", "/proc/self/maps") or ""))


def test_timing_probe_measures_something_plausible(facts):
    for name in ("timing_monotonic", "timing_realtime"):
        timing = facts["time"][name]["value"]
        assert timing is not None, facts["time"][name]
        assert 0 <= timing["ns_per_call"] < 100000 and timing["calls"] == 20000


def test_kernel_config_matches_zcat(facts):
    config = facts["kernel"]["config"]
    path = config["source"]
    if config["value"] is None:
        assert not os.path.exists("/proc/config.gz") and not os.path.exists("/boot/config-" + platform.release())
        return
    if path.endswith(".gz"):
        text = sh("zcat", path)
    else:
        with open(path) as handle:
            text = handle.read()
    for name, value in config["value"].items():
        if value in (None, "n"):
            assert "%s=" % name not in text
        else:
            assert "%s=%s" % (name, value) in text.replace('"', "")


def test_virtualization_matches_systemd_detect_virt(facts):
    virt = facts["platform"]["virtualization"]["value"]
    container = sh("systemd-detect-virt", "--container")
    vm = sh("systemd-detect-virt", "--vm")
    if shutil.which("systemd-detect-virt") is None:
        pytest.skip("systemd-detect-virt not installed")
    # systemd-detect-virt exits 1 (None here) when it prints "none"
    assert virt["container"] == (container or "none")
    if vm is not None and virt["vm"] != "vm-other":
        assert virt["vm"] == vm
    with open("/proc/sys/kernel/osrelease") as handle:
        assert (facts["platform"]["wsl"]["value"] == "WSL2") == ("microsoft-standard-WSL2" in handle.read())


def test_io_uring_setup_matches_a_go_program(facts, tmp_path):
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if go is None:
        pytest.skip("no Go toolchain to make an independent io_uring_setup call")
    (tmp_path / "main.go").write_text(textwrap.dedent("""\
        package main

        import (
            "fmt"
            "syscall"
            "unsafe"
        )

        func main() {
            var params [120]byte
            fd, _, errno := syscall.Syscall(425, 1, uintptr(unsafe.Pointer(&params[0])), 0)
            if errno != 0 {
                fmt.Print(int(errno))
                return
            }
            syscall.Close(int(fd))
            fmt.Print("works")
        }
        """))
    (tmp_path / "go.mod").write_text("module uringprobe\n\ngo 1.21\n")
    env = dict(os.environ, GOFLAGS="-mod=mod", GOTOOLCHAIN="local")  # the user's build cache: seconds, not a minute
    proc = subprocess.run([go, "run", "."], cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stderr
    import errno as errno_mod
    expected = proc.stdout if proc.stdout == "works" else errno_mod.errorcode[int(proc.stdout)]
    assert facts["io_uring"]["setup"]["value"] == expected


def test_check_mode_gives_the_same_answers():
    plain = run_module({"probes": ["kernel", "security", "platform"]})
    checked = run_module({"probes": ["kernel", "security", "platform"]}, check=True)
    assert plain == checked


def test_unreadable_as_non_root_is_a_reason_not_a_failure(tmp_path):
    """The module never fails on a probe: a root of random files yields nulls with reasons, and readiness."""
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/osrelease").write_text("not a release\n")
    with gzip.open(str(tmp_path / "proc/config.gz"), "wb") as handle:
        handle.write(b"CONFIG_BPF_SYSCALL=y\n")
    facts = run_module({"root": str(tmp_path)})
    assert facts["kernel"]["release"]["value"] is None
    assert "unexpected content" in facts["kernel"]["release"]["reason"]
    assert facts["kernel"]["config"]["value"]["CONFIG_BPF_SYSCALL"] == "y"
    assert all(c["status"] in ("warn", "fail", "pass") for c in facts["readiness"].values())
