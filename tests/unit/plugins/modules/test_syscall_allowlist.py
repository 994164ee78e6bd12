# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""syscall_allowlist against real outputs captured on bookworm: `systemd-analyze syscall-filter` (systemd 252) and
`strace -f` of the example zap service answering /healthz."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from unittest import mock

from ansible.module_utils import basic
from ansible_collections.noble.gohost.plugins.modules import syscall_allowlist as mod
from ansible_collections.noble.gohost.tests.unit.plugins.modules.utils import run_module, set_module_args

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "syscall_allowlist")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as fh:
        return fh.read()


GROUPS_TEXT = fixture("syscall-filter-bookworm.txt")
STRACE_TEXT = fixture("zap-service.strace")


@pytest.fixture
def groups():
    return mod.parse_groups(GROUPS_TEXT)


def test_parse_groups(groups):
    assert "@system-service" in groups and "@default" in groups and "@signal" in groups
    assert "execve" in groups["@default"]
    assert "@signal" in groups["@system-service"]  # nested reference kept
    assert "signalfd4" in mod.expand(groups, "@system-service")  # and expanded
    assert not any(name.startswith("#") for members in groups.values() for name in members)


def test_parse_strace_real_log():
    seen = mod.parse_strace(STRACE_TEXT)
    for name in ("execve", "openat", "socket", "bind", "listen", "epoll_ctl", "accept4", "write"):
        assert name in seen, name
    assert "exited" not in seen and "SIGTERM" not in seen and "resumed" not in seen


def test_parse_strace_formats():
    text = "\n".join([
        "123   openat(AT_FDCWD, \"/x\", O_RDONLY) = 3",
        "[pid   124] futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>",
        "124   <... futex resumed>) = 0",
        "12:00:01.123456 getpid() = 5",
        "125   --- SIGURG {si_signo=SIGURG} ---",
        "125   +++ exited with 0 +++",
        "uname({sysname=\"Linux\"}) = 0",
        "126   syscall_0x1b6(0) = -1 ENOSYS",
    ])
    assert mod.parse_strace(text) == {"openat", "futex", "getpid", "uname"}


def test_build_filter_drops_default_and_uses_groups(groups):
    signal = mod.expand(groups, "@signal")
    seen = signal | {"openat", "execve", "futex"}
    filt, used = mod.build_filter(seen, groups)
    assert used == ["@signal"]
    assert filt == ["@signal", "openat"]  # execve and futex are in @default, always allowed


def test_build_filter_arch_table(groups):
    # @timer lists 32-bit *_time64 variants; with an x86_64-only table they need not be seen.
    timer = mod.expand(groups, "@timer")
    native = {s for s in timer if not s.endswith("time64")}
    assert native != timer
    used = mod.build_filter(native, groups)[1]
    assert "@timer" not in used
    used = mod.build_filter(native, groups, arch=native | {"openat"})[1]
    assert "@timer" in used


def test_build_filter_no_groups(groups):
    filt, used = mod.build_filter(mod.expand(groups, "@signal"), groups, use_groups=False)
    assert used == [] and "signalfd4" in filt


def analyze(cmd, *args, **kwargs):  # pylint: disable=unused-argument
    if cmd[:2] == ["/usr/bin/systemd-analyze", "syscall-filter"]:
        return 0, GROUPS_TEXT, ""
    raise AssertionError("unexpected command %r" % (cmd,))


@pytest.fixture
def bins():
    with mock.patch.object(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/" + name):
        yield


def test_module_logs_and_state(tmp_path, bins):
    log = tmp_path / "svc.strace"
    log.write_text(STRACE_TEXT)
    state = tmp_path / "state" / "svc.json"
    with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=analyze):
        with set_module_args({"strace_logs": [str(log)], "state_file": str(state),
                              "arch_syscalls": sorted(mod.expand(mod.parse_groups(GROUPS_TEXT), "@known"))}):
            first = run_module(mod.main)
    assert first["changed"] is True
    assert "openat" in first["syscalls"] and first["new_syscalls"] == first["syscalls"]
    assert "execve" not in first["filter"]
    assert first["arch_filtered"] is True
    assert json.loads(state.read_text())["syscalls"] == first["syscalls"]

    with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=analyze):
        with set_module_args({"state_file": str(state), "extra_syscalls": ["uname"]}):
            second = run_module(mod.main)
    assert second["changed"] is False
    assert second["new_syscalls"] == []
    assert second["syscalls"] == first["syscalls"]
    assert second["filter"][-1] == "uname"


def test_module_check_mode_does_not_trace_or_write(tmp_path, bins):
    state = tmp_path / "svc.json"
    log = tmp_path / "svc.strace"
    log.write_text("1 openat(AT_FDCWD, \"/x\", O_RDONLY) = 3\n")
    with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=analyze) as run:
        with set_module_args({"command": ["/bin/svc"], "strace_logs": [str(log)], "state_file": str(state),
                              "_ansible_check_mode": True}):
            result = run_module(mod.main)
    assert result["changed"] is True
    assert result["syscalls"] == ["openat"]
    assert not state.exists()
    assert all(call.args[0][1] == "syscall-filter" for call in run.call_args_list)


def test_module_traces_command(tmp_path, bins):
    calls = []

    def run(cmd, *args, **kwargs):
        calls.append((cmd, kwargs))
        if cmd[0] == "/bin/sh":
            log = cmd[cmd.index("-o") + 1]
            with open(log, "w") as fh:
                fh.write(STRACE_TEXT)
            return 143, "", "exercise_rc=0\n"
        return analyze(cmd)

    with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=run):
        with set_module_args({"command": ["/opt/svc", "-listen", "127.0.0.1:1"], "exercise": "curl -f x",
                              "timeout": 7, "environment": {"GOMAXPROCS": 1}}):
            result = run_module(mod.main)
    cmd, kwargs = calls[0]
    assert cmd[-3:] == ["/opt/svc", "-listen", "127.0.0.1:1"]
    assert cmd[4] == "7" and cmd[5] == "/usr/bin/strace" and "-f" in cmd
    assert kwargs["environ_update"]["GOHOST_EXERCISE"] == "curl -f x"
    assert kwargs["environ_update"]["GOMAXPROCS"] == "1"
    assert result["rc"] == 143 and result["exercise_rc"] == 0
    assert result["filter"][0] == "@system-service" and "accept4" in result["tight_filter"]
    assert result["changed"] is False  # no state file


def test_module_fails_when_nothing_traced(tmp_path, bins):
    def run(cmd, *args, **kwargs):
        if cmd[0] == "/bin/sh":
            return 127, "", "strace: exec: No such file or directory"
        return analyze(cmd)

    with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=run):
        with set_module_args({"command": ["/missing"]}):
            result = run_module(mod.main, expect_fail=True)
    assert "strace saw no system call" in result["msg"] and "No such file" in result["msg"]


def test_module_bad_state_file(tmp_path, bins):
    state = tmp_path / "svc.json"
    state.write_text("{not json")
    with set_module_args({"state_file": str(state)}):
        result = run_module(mod.main, expect_fail=True)
    assert "cannot read state_file" in result["msg"]


def test_module_groups_come_from_the_targets_table(tmp_path, bins):
    """The groups are read from `systemd-analyze syscall-filter` on the target at run time, not built in: the same
    calls collapse into @signal with bookworm's table, and do not when the target's @signal has one more member
    (as a newer systemd's may)."""
    # the x86_64 members of @signal (the 32-bit-only ones are not in the table below)
    arch = ["rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
            "rt_sigfuture", "sigaltstack", "signalfd", "signalfd4"]
    seen = sorted(mod.expand(mod.parse_groups(GROUPS_TEXT), "@signal") & set(arch))
    log = tmp_path / "svc.strace"
    log.write_text("".join("1 %s() = 0\n" % name for name in seen))
    grown = GROUPS_TEXT.replace("@signal\n    # Process signal handling\n",
                                "@signal\n    # Process signal handling\n    rt_sigfuture\n")
    assert grown != GROUPS_TEXT

    results = {}
    for name, table in (("bookworm", GROUPS_TEXT), ("grown", grown)):
        def run(cmd, *args, **kwargs):  # pylint: disable=unused-argument
            assert cmd[:2] == ["/usr/bin/systemd-analyze", "syscall-filter"], cmd
            return 0, table, ""

        with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=run) as called:
            with set_module_args({"strace_logs": [str(log)], "arch_syscalls": arch, "base": "observed"}):
                results[name] = run_module(mod.main)
        assert called.call_count == 1
    assert results["bookworm"]["groups"] == ["@signal"]
    assert results["bookworm"]["filter"] == ["@signal"]
    assert results["grown"]["groups"] == []
    assert results["grown"]["filter"] == seen  # the calls themselves, no group


def test_module_fails_without_a_syscall_table(tmp_path, bins):
    log = tmp_path / "svc.strace"
    log.write_text("1 openat(AT_FDCWD, \"/x\", O_RDONLY) = 3\n")

    def run(cmd, *args, **kwargs):  # pylint: disable=unused-argument
        return 1, "", "Failed to parse system call filter: Operation not supported"

    with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=run):
        with set_module_args({"strace_logs": [str(log)]}):
            result = run_module(mod.main, expect_fail=True)
    assert "systemd-analyze syscall-filter failed (rc=1)" in result["msg"]
    assert "Operation not supported" in result["msg"]
