# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""syscall_allowlist on real strace 6.1 logs in every layout (tests/unit/fixtures/syscall_allowlist/strace, see the
README there for the commands), and the filter it derives by default: systemd's @system-service plus what was seen,
with a SystemCallLog= list for what the trace did not see."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from unittest import mock

from ansible.module_utils import basic
from ansible_collections.noble.gohost.plugins.module_utils import _strace
from ansible_collections.noble.gohost.plugins.modules import syscall_allowlist as mod
from ansible_collections.noble.gohost.tests.unit.plugins.modules.utils import run_module, set_module_args

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "syscall_allowlist")
STRACE = os.path.join(FIXTURES, "strace")


def fixture(name):
    with open(os.path.join(STRACE, name)) as fh:
        return fh.read()


with open(os.path.join(FIXTURES, "syscall-filter-bookworm.txt")) as _fh:
    GROUPS_TEXT = _fh.read()
GROUPS = mod.parse_groups(GROUPS_TEXT)
TRUE = mod.parse_strace(fixture("true.strace"))
SH = mod.parse_strace(fixture("sh-f.strace"))


def test_plain_logs_hold_what_is_expected():
    assert {"execve", "brk", "mmap", "openat", "close", "exit_group"} <= TRUE and len(TRUE) == 17
    assert {"execve", "wait4", "rt_sigaction", "exit_group"} <= SH and "vfork" in SH or "clone" in SH


@pytest.mark.parametrize("name,formats", [
    ("true-i.strace", {"-i"}),
    ("true-n.strace", {"-n"}),
    ("true-t.strace", {"-t"}),
    ("true-ttt.strace", {"-ttt"}),
    ("true-r.strace", {"-r"}),
    ("true-ttt-r.strace", {"-ttt", "-r"}),
    ("true-y.strace", set()),
    ("true-X-verbose.strace", set()),
    ("true-C.strace", {"-c"}),
])
def test_every_layout_of_one_program_gives_the_same_calls(name, formats):
    """/bin/true makes the same 17 calls every run: every layout must give exactly those."""
    trace = _strace.parse(fixture(name), name)
    assert trace.names == TRUE
    assert trace.formats == formats


@pytest.mark.parametrize("name,formats", [
    ("sh-f-stderr.strace", {"-f (stderr)"}),  # [pid N], "strace: Process N attached", a lone <unfinished ...>
    ("sh-f-i-n.strace", {"-f", "-i", "-n"}),
    ("sh-f-tt-T.strace", {"-f", "-tt"}),
    ("sh-f-Y.strace", {"-f", "-Y"}),
])
def test_every_layout_of_a_forking_shell(name, formats):
    trace = _strace.parse(fixture(name), name)
    assert trace.formats == formats
    # sh -c with one command execs it (no fork); with two it forks: the sets differ only there
    assert {"execve", "brk", "mmap", "exit_group"} <= trace.names
    assert trace.names <= SH | {"vfork", "clone", "clone3", "wait4", "rt_sigaction", "rt_sigprocmask", "getppid",
                                "getpid", "geteuid", "getuid", "getegid", "getgid", "getcwd", "newfstatat"}


def test_summaries_and_per_process_files():
    ls_ff = _strace.parse(fixture("ls-ff.strace.pid"))
    ls_c = _strace.parse(fixture("ls-c.strace"))
    assert ls_c.formats == {"-c"} and ls_ff.formats == set()
    # two runs of `ls /`; a -c table counts calls that return, so it never lists exit_group
    assert ls_c.names == ls_ff.names - {"exit_group"} and "getdents64" in ls_c.names
    sh_c = _strace.parse(fixture("sh-f-c.strace"))
    assert {"getdents64", "wait4", "execve"} <= sh_c.names  # -f -c: the shell and the ls it ran
    go_c = _strace.parse(fixture("go-version-f-c.strace")).names
    go_f = _strace.parse(fixture("go-version-f.strace")).names
    assert {"clone", "futex", "sigaltstack", "rt_sigaction", "openat"} <= go_c & go_f
    assert "total" not in go_c and "calls" not in go_c


def test_stack_traces_and_restricted_traces():
    assert _strace.parse(fixture("true-k.strace")).names == {"execve", "brk", "exit_group"}
    trace = _strace.parse(fixture("sh-f-k.strace"))
    assert trace.names == {"execve", "wait4", "exit_group"} and trace.formats == {"-f", "-k"}
    assert _strace.parse(fixture("true-e-trace.strace")).names == {"openat", "close", "read"}
    assert _strace.parse(fixture("true-e-none.strace")).names == set()


def test_resumed_and_unknown_calls():
    trace = _strace.parse("\n".join([
        "123   read(3,  <unfinished ...>",
        "124   <... futex resumed>) = 0",
        "124   <... resumed>) = 0",
        "125   syscall_0x1b6(0x1, 0x2) = -1 ENOSYS (Function not implemented)",
        "[  999] syscall_999(0) = -1 ENOSYS",
        "126   --- stopped by SIGSTOP ---",
        "126   +++ killed by SIGKILL (core dumped) +++",
        "127   +++ superseded by execve in pid 126 +++",
        "[ Process PID=128 runs in 32 bit mode. ]",
    ]))
    assert trace.names == {"read", "futex"}
    assert trace.unknown == {"syscall_0x1b6", "syscall_999"}


@pytest.mark.parametrize("text,line", [
    ("execve(\"/bin/x\", [], 0x0) = 0\nhello from the program\n", 2),  # the program's output mixed in
    ("1 openat(AT_FDCWD, \"/x\", O_RDONLY) = 3\n1 OPENAT(x) = 3\n", 2),
    ("% time     seconds  usecs/call     calls    errors syscall\n------ ----------- ----------- --------- ---------"
     " ----------------\n  0.00    0.000000           0         7           read extra\n", 3),
])
def test_lines_strace_does_not_write_fail_naming_the_line(text, line):
    with pytest.raises(_strace.StraceParseError) as err:
        _strace.parse(text, "svc.strace")
    assert str(err.value).startswith("cannot parse line %d of svc.strace: " % line)


def test_summary_cut_short_fails():
    text = fixture("ls-c.strace").splitlines()
    with pytest.raises(_strace.StraceParseError, match="ends without its closing line"):
        _strace.parse("\n".join(text[:5]), "ls-c")


# --- the filter

def test_default_filter_starts_from_system_service_and_covers_an_unseen_path():
    """`go version` traced from a shell (PWD set) makes no getcwd; run where PWD is unset (as under systemd) it
    does. The observed list lacks it; the default filter allows it, and the log list does not exclude it, so the
    call is logged."""
    shell = mod.parse_strace(fixture("go-version-f.strace"))
    nopwd = mod.parse_strace(fixture("go-version-nopwd-f.strace"))
    assert "getcwd" not in shell and "getcwd" in nopwd
    derived = mod.derive(shell, GROUPS)
    assert derived["filter"][0] == "@system-service"
    assert nopwd <= mod.allowed_by(derived["filter"], GROUPS)
    assert "getcwd" not in mod.allowed_by(derived["tight_filter"], GROUPS)
    assert derived["log"][0] == "~@default" and derived["log"][1:] == derived["tight_filter"]
    assert "getcwd" not in mod.allowed_by([derived["log"][0][1:]] + derived["log"][1:], GROUPS)  # so it is logged


def test_default_filter_still_denies_outside_system_service():
    seen = mod.parse_strace(fixture("go-version-f.strace"))
    allowed = mod.allowed_by(mod.derive(seen, GROUPS)["filter"], GROUPS)
    for call in ("pidfd_getfd", "ptrace", "mount", "reboot", "init_module", "sysfs", "kexec_load"):
        assert call not in allowed, call


def test_calls_seen_outside_system_service_are_added():
    seen = TRUE | {"pidfd_getfd", "ptrace"}
    derived = mod.derive(seen, GROUPS)
    assert derived["filter"] == ["@system-service", "pidfd_getfd", "ptrace"]
    groups = mod.derive(seen, GROUPS, base="groups")
    assert "@debug" in groups["filter"]  # the smallest group holding ptrace and pidfd_getfd
    assert not {"pidfd_getfd", "ptrace"} & set(groups["filter"])
    assert {"pidfd_getfd", "ptrace"} <= mod.allowed_by(groups["filter"], GROUPS)


def test_groups_base_covers_what_was_seen():
    seen = mod.parse_strace(fixture("go-version-f.strace"))
    derived = mod.derive(seen, GROUPS, base="groups")
    allowed = mod.allowed_by(derived["filter"], GROUPS)
    assert seen <= allowed
    assert "@system-service" not in derived["filter"] and "@known" not in derived["filter"]
    assert "@signal" in derived["filter"] and "@file-system" in derived["filter"]  # whole groups
    assert "getcwd" in allowed and "pidfd_getfd" not in allowed
    assert derived["log"][0] == "~@default"


def test_observed_base_is_never_empty():
    derived = mod.derive({"execve", "exit_group", "brk"}, GROUPS, base="observed")  # all in @default
    assert derived["filter"] == ["@default"] and derived["log"] == []
    assert mod.derive(SH, GROUPS, base="observed")["filter"] == mod.build_filter(SH, GROUPS)[0]


def analyze(cmd, *args, **kwargs):  # pylint: disable=unused-argument
    if cmd[:2] == ["/usr/bin/systemd-analyze", "syscall-filter"]:
        return 0, GROUPS_TEXT, ""
    raise AssertionError("unexpected command %r" % (cmd,))


@pytest.fixture
def bins():
    with mock.patch.object(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/" + name):
        with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=analyze):
            yield


@pytest.mark.parametrize("name", ["true-i.strace", "true-n.strace", "true-C.strace", "true-ttt-r.strace"])
def test_module_reads_every_layout(bins, name):
    with set_module_args({"strace_logs": [os.path.join(STRACE, name)], "base": "observed"}):
        result = run_module(mod.main)
    assert result["syscalls"] == sorted(TRUE)
    assert result["filter"] == mod.build_filter(TRUE, GROUPS)[0] and result["filter"]


def test_module_default_lists(bins):
    with set_module_args({"strace_logs": [os.path.join(STRACE, "go-version-f.strace")]}):
        result = run_module(mod.main)
    assert result["base"] == "system-service"
    assert result["filter"][0] == "@system-service"
    assert result["log"] == ["~@default"] + result["tight_filter"]
    assert "getcwd" not in result["syscalls"]


def test_module_extra_syscalls_join_every_list(bins):
    with set_module_args({"strace_logs": [os.path.join(STRACE, "true.strace")], "extra_syscalls": ["getcwd"]}):
        result = run_module(mod.main)
    assert result["filter"][-1] == result["tight_filter"][-1] == result["log"][-1] == "getcwd"


def test_module_fails_on_an_unparsable_log(bins, tmp_path):
    log = tmp_path / "mixed.strace"
    log.write_text(fixture("true.strace") + "hello from the program\n")
    with set_module_args({"strace_logs": [str(log)]}):
        result = run_module(mod.main, expect_fail=True)
    assert result["msg"].startswith("cannot parse line 32 of %s: 'hello from the program'" % log)


@pytest.mark.parametrize("name", ["true-e-none.strace", "empty"])
def test_module_fails_on_a_log_without_calls(bins, tmp_path, name):
    path = tmp_path / name
    path.write_text(fixture(name) if name != "empty" else "")
    with set_module_args({"strace_logs": [str(path)]}):
        result = run_module(mod.main, expect_fail=True)
    assert result["msg"].startswith("strace log %s holds no system call" % path)


def test_module_fails_on_an_empty_state_file(bins, tmp_path):
    with set_module_args({"state_file": str(tmp_path / "none.json")}):
        result = run_module(mod.main, expect_fail=True)
    assert result["msg"].startswith("no system call seen: state_file hold none")


def test_module_check_mode_with_nothing_yet_is_skipped(bins, tmp_path):
    with set_module_args({"command": ["/bin/svc"], "state_file": str(tmp_path / "s.json"), "_ansible_check_mode": True}):
        result = run_module(mod.main)
    assert result["skipped"] is True and result["changed"] is True and "filter" not in result
    assert not (tmp_path / "s.json").exists()


def test_module_warns_about_unnamed_calls(bins, tmp_path):
    log = tmp_path / "u.strace"
    log.write_text(fixture("true.strace") + "syscall_0x1b6(0) = -1 ENOSYS (Function not implemented)\n")
    with mock.patch.object(basic.AnsibleModule, "warn") as warn:
        with set_module_args({"strace_logs": [str(log)]}):
            result = run_module(mod.main)
    assert result["unknown_syscalls"] == ["syscall_0x1b6"]
    assert "syscall_0x1b6" in warn.call_args.args[0]
