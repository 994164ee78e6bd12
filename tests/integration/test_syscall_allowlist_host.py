# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.syscall_allowlist on THIS machine: strace run here in every layout on `ls /`, each log read on its
own (the module's main() in this process, nothing mocked: it runs this machine's `systemd-analyze syscall-filter`),
and a command traced by the module itself through `ansible`.

Run with `make unit` (or `pytest tests/integration`); needs strace, systemd-analyze, the venv's `ansible` and
`make collection`.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shutil
import subprocess

import pytest

import adhoc

from ansible_collections.noble.gohost.plugins.modules import syscall_allowlist
from ansible_collections.noble.gohost.tests.unit.plugins.modules.utils import run_module as run_main
from ansible_collections.noble.gohost.tests.unit.plugins.modules.utils import set_module_args


pytestmark = [
    pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed on this machine"),
    pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here"),
]

# layout name -> strace options (each run writes its own file; -ff writes FILE.<pid>)
LAYOUTS = {
    "plain": [], "f": ["-f"], "i": ["-i"], "n": ["-n"], "f-i-n": ["-f", "-i", "-n"], "t": ["-t"], "tt-T": ["-tt", "-T"],
    "ttt": ["-ttt"], "r": ["-r"], "ttt-r": ["-ttt", "-r"], "y": ["-y"], "Y": ["-f", "-Y"], "k": ["-k"],
    "X": ["-X", "verbose"], "C": ["-C"], "c": ["-c"], "ff": ["-ff"],
}


def run_module(args, expect_fail=False):
    rc, result = adhoc.run_module("syscall_allowlist", args)
    assert (rc != 0) == expect_fail, result
    return result


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("strace")
    out = {}
    for name, opts in LAYOUTS.items():
        path = str(root / ("ls-%s.strace" % name))
        subprocess.run(["strace"] + opts + ["-o", path, "ls", "/"], stdout=subprocess.DEVNULL, check=True)
        if name == "ff":
            out[name] = sorted(str(p) for p in root.glob("ls-ff.strace.*"))
        else:
            out[name] = [path]
    return out


def test_every_layout_gives_the_same_calls(logs):
    results = {}
    for name, paths in logs.items():
        with set_module_args({"strace_logs": paths, "base": "observed"}):
            results[name] = run_main(syscall_allowlist.main)
    plain = set(results["plain"]["syscalls"])
    assert {"execve", "openat", "getdents64", "write", "exit_group"} <= plain
    for name, result in results.items():
        got = set(result["syscalls"])
        if name == "c":
            assert got == plain - {"exit_group"}, name  # a -c table lists calls that return
        else:
            assert got == plain, (name, got ^ plain)
        assert result["filter"] and result["log"] == []


def test_default_lists_from_a_traced_command(tmp_path):
    state = tmp_path / "ls.json"
    result = run_module({"command": ["ls", "/"], "state_file": str(state)})
    assert result["changed"] is True and result["rc"] == 0
    assert result["filter"][0] == "@system-service"
    assert result["log"] == ["~@default"] + result["tight_filter"]
    assert "getdents64" in result["syscalls"]
    assert json.loads(state.read_text())["syscalls"] == result["syscalls"]


def test_a_log_with_the_programs_output_mixed_in_fails(tmp_path):
    path = tmp_path / "mixed.strace"
    proc = subprocess.run(["strace", "-o", "/dev/stdout", "echo", "hello"], stdout=subprocess.PIPE,
                          universal_newlines=True, check=True)
    path.write_text(proc.stdout)
    assert "hello\n" in proc.stdout
    with set_module_args({"strace_logs": [str(path)]}):
        result = run_main(syscall_allowlist.main, expect_fail=True)
    # strace's `write(1, "hello\n", 6` and the program's "hello" share a line; the rest of the call is on the next
    lines = proc.stdout.splitlines()
    bad = next(i for i, line in enumerate(lines) if line.startswith(")"))
    assert result["msg"].startswith("cannot parse line %d of %s: %r is not a line strace writes"
                                    % (bad + 1, path, lines[bad])), result["msg"]
