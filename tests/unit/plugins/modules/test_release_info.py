# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""release_info against release trees made by the test: releases newest first, the current link, the stamp, the
other paths; a missing directory; a bad stamp name."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.noble.gohost.plugins.modules import release_info

from .utils import run_module, set_module_args


def make_tree(root):
    svc = root / "api"
    for i, name in enumerate(["aaa", "bbb", "ccc"]):
        (svc / "releases" / name).mkdir(parents=True)
        os.utime(str(svc / "releases" / name), (1000 + i, 1000 + i))
    (svc / "releases" / "stray-file").write_text("x")
    os.symlink("releases/bbb", str(svc / "current"))
    (svc / "deployed").write_text("# noble.gohost.go_service: comment\nrelease=bbb\nunit=u=1\ngate=\nnot a line\n")
    return svc


def test_a_deployed_service_is_read_in_one_call(tmp_path):
    svc = make_tree(tmp_path)
    with set_module_args({"path": str(svc), "paths": [str(tmp_path / "build"), str(svc)]}):
        res = run_module(release_info.main)
    assert not res["changed"] and res["exists"]
    assert res["current"] == {"exists": True, "islnk": True, "target": "releases/bbb"}
    assert [r["name"] for r in res["releases"]] == ["ccc", "bbb", "aaa"]
    assert res["releases"][0]["path"] == str(svc / "releases" / "ccc") and res["releases"][0]["mtime"] == 1002
    assert res["stamp"] == {"release": "bbb", "unit": "u=1", "gate": ""}
    assert res["paths"] == {str(tmp_path / "build"): False, str(svc): True}


def test_a_fresh_host_has_nothing(tmp_path):
    with set_module_args({"path": str(tmp_path / "none"), "_ansible_check_mode": True}):
        res = run_module(release_info.main)
    assert res["exists"] is False and res["releases"] == [] and res["stamp"] == {} and res["paths"] == {}
    assert res["current"] == {"exists": False, "islnk": False, "target": None}


def test_a_dangling_current_link_is_reported_as_a_link(tmp_path):
    (tmp_path / "api").mkdir()
    os.symlink("releases/gone", str(tmp_path / "api" / "current"))
    with set_module_args({"path": str(tmp_path / "api")}):
        res = run_module(release_info.main)
    assert res["current"] == {"exists": True, "islnk": True, "target": "releases/gone"} and res["releases"] == []


@pytest.mark.parametrize("stamp", ["../deployed", "", ".."])
def test_a_stamp_outside_path_is_refused(tmp_path, stamp):
    with set_module_args({"path": str(tmp_path), "stamp": stamp}):
        res = run_module(release_info.main, expect_fail=True)
    assert "stamp must be a file name in path" in res["msg"]
