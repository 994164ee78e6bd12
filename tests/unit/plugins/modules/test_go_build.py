# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_build's main(): input checks, check mode, and a failing build, with the build and the reader mocked (real
builds: tests/integration/test_go_build_host.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from unittest import mock

from ansible_collections.noble.gohost.plugins.module_utils import _go_build as gob
from ansible_collections.noble.gohost.plugins.modules import go_build

from .utils import run_module, set_module_args

PKG = "example.com/hello/cmd/hello"


def args(tmp_path, **kw):
    out = {"package": PKG, "version": "v1.0.0", "dest": str(tmp_path / "hello"), "go": str(tmp_path / "go"),
           "state_dir": str(tmp_path / "state")}
    out.update(kw)
    return out


@pytest.mark.parametrize("bad, words", [
    ({"version": "latest"}, ["version must be a module version", "latest"]),
    ({"version": "1.0.0"}, ["version must be a module version"]),
    ({"package": PKG + "@v1.0.0"}, ["without @version"]),
    ({"package": " "}, ["package must be the import path"]),
])
def test_bad_input_is_refused_naming_the_option(tmp_path, bad, words):
    with set_module_args(args(tmp_path, **bad)):
        res = run_module(go_build.main, expect_fail=True)
    assert all(w in res["msg"] for w in words), res["msg"]


def test_a_missing_directory_is_refused_but_means_a_build_in_check_mode(tmp_path):
    dest = str(tmp_path / "no" / "hello")
    with set_module_args(args(tmp_path, dest=dest)):
        res = run_module(go_build.main, expect_fail=True)
    assert "the directory of dest does not exist" in res["msg"]
    with set_module_args(dict(args(tmp_path, dest=dest), _ansible_check_mode=True)):
        res = run_module(go_build.main)
    assert res["changed"] and res["reasons"] == ["%s does not exist" % dest]


def test_check_mode_says_why_and_builds_nothing(tmp_path):
    with set_module_args(dict(args(tmp_path), _ansible_check_mode=True, _ansible_diff=True)):
        with mock.patch.object(go_build, "build") as build:
            res = run_module(go_build.main)
    assert res["changed"] and res["reasons"] == ["%s does not exist" % (tmp_path / "hello")]
    assert not build.called and "v1.0.0" in res["diff"]["after"] and res["diff"]["before"] == ""


def test_without_a_go_command_the_message_says_how_to_get_one(tmp_path):
    with set_module_args(args(tmp_path)):
        res = run_module(go_build.main, expect_fail=True)
    assert "the go command %s does not exist" % (tmp_path / "go") in res["msg"] and "go_toolchain" in res["msg"]


def test_a_failed_build_names_the_step_and_leaves_dest(tmp_path):
    (tmp_path / "go").write_text("")
    (tmp_path / "hello").write_text("old")
    failure = gob.BuildError("go get %s@v1.0.0" % PKG, "line1\nreading x: 404 Not Found\n", "no such version")
    with set_module_args(args(tmp_path)):
        with mock.patch.object(go_build, "build", side_effect=failure):
            res = run_module(go_build.main, expect_fail=True)
    assert "failed in `go get %s@v1.0.0` (no such version)" % PKG in res["msg"] and "404 Not Found" in res["msg"]
    assert (tmp_path / "hello").read_text() == "old" and not os.path.exists(str(tmp_path / "state"))
