# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd_dropin against drop-in trees made by the test: created with its directory, unchanged, rewritten,
mode fixed, removed; check mode and diff; paths systemd would not read refused."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.noble.gohost.plugins.modules import systemd_dropin

from .utils import run_module, set_module_args

ME = pwd.getpwuid(os.getuid())[0]
MY_GROUP = grp.getgrgid(os.getgid())[0]


def args(path, **kw):
    out = {"path": str(path), "owner": ME, "group": MY_GROUP}
    out.update(kw)
    return out


def mode_of(path):
    return "%04o" % stat.S_IMODE(os.stat(str(path)).st_mode)


def test_a_new_drop_in_is_written_with_its_directory_then_left_alone(tmp_path):
    path = tmp_path / "journald.conf.d" / "50-x.conf"
    with set_module_args(args(path, content="[Journal]\nStorage=persistent\n", _ansible_diff=True)):
        res = run_module(systemd_dropin.main)
    assert res["changed"] and res["created_directory"]
    assert path.read_text() == "[Journal]\nStorage=persistent\n"
    assert mode_of(path) == "0644" and mode_of(path.parent) == "0755"
    assert res["diff"]["before"] == "" and res["diff"]["after"] == "[Journal]\nStorage=persistent\n"
    assert os.listdir(str(path.parent)) == ["50-x.conf"]  # no temporary file left
    with set_module_args(args(path, content="[Journal]\nStorage=persistent\n")):
        res = run_module(systemd_dropin.main)
    assert not res["changed"] and not res["created_directory"]


def test_new_content_and_a_wrong_mode_are_fixed(tmp_path):
    path = tmp_path / "api.service.d" / "50-limits.conf"
    path.parent.mkdir()
    path.write_text("[Service]\nMemoryMax=1G\n")
    with set_module_args(args(path, content="[Service]\nMemoryMax=1G\n", mode="0640")):
        res = run_module(systemd_dropin.main)
    assert res["changed"] and mode_of(path) == "0640"
    with set_module_args(args(path, content="[Service]\nMemoryMax=2G\n", mode="0640")):
        res = run_module(systemd_dropin.main)
    assert res["changed"] and path.read_text() == "[Service]\nMemoryMax=2G\n" and mode_of(path) == "0640"


def test_check_mode_changes_nothing(tmp_path):
    path = tmp_path / "journald.conf.d" / "50-x.conf"
    with set_module_args(args(path, content="x\n", _ansible_check_mode=True)):
        res = run_module(systemd_dropin.main)
    assert res["changed"] and res["created_directory"] and not path.parent.exists()
    path.parent.mkdir()
    path.write_text("old\n")
    with set_module_args(args(path, content="x\n", _ansible_check_mode=True, _ansible_diff=True)):
        res = run_module(systemd_dropin.main)
    assert res["changed"] and path.read_text() == "old\n" and res["diff"]["before"] == "old\n"


def test_absent_removes_the_file_and_keeps_the_directory(tmp_path):
    path = tmp_path / "journald@audit.conf.d" / "50-x.conf"
    path.parent.mkdir()
    path.write_text("x\n")
    (path.parent / "90-local.conf").write_text("y\n")
    with set_module_args(args(path, state="absent", _ansible_check_mode=True)):
        assert run_module(systemd_dropin.main)["changed"] and path.exists()
    with set_module_args(args(path, state="absent")):
        assert run_module(systemd_dropin.main)["changed"] and not path.exists()
    assert os.listdir(str(path.parent)) == ["90-local.conf"]
    with set_module_args(args(path, state="absent")):
        assert not run_module(systemd_dropin.main)["changed"]


@pytest.mark.parametrize("path,why", [
    ("relative.d/x.conf", "path must be absolute"),
    ("/etc/systemd/system/x.conf", "path must be in a drop-in directory"),
    ("/etc/systemd/journald.conf.d/x.cfg", "path must name a .conf file"),
])
def test_paths_systemd_does_not_read_are_refused(path, why):
    with set_module_args(args(path, content="x")):
        res = run_module(systemd_dropin.main, expect_fail=True)
    assert res["msg"].startswith(why)


def test_a_bad_mode_and_a_file_in_place_of_the_directory_are_refused(tmp_path):
    with set_module_args(args(tmp_path / "a.d" / "x.conf", content="x", mode="rw-r--r--")):
        assert "mode must be octal digits" in run_module(systemd_dropin.main, expect_fail=True)["msg"]
    (tmp_path / "b.d").write_text("")
    with set_module_args(args(tmp_path / "b.d" / "x.conf", content="x")):
        assert run_module(systemd_dropin.main, expect_fail=True)["msg"] == "%s exists and is not a directory" % (
            tmp_path / "b.d")


def test_present_needs_content(tmp_path):
    with set_module_args(args(tmp_path / "a.d" / "x.conf")):
        assert "content" in run_module(systemd_dropin.main, expect_fail=True)["msg"]
