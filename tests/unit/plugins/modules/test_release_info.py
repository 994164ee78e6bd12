# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""release_info against release trees made by the test: releases newest first, the current link, the stamp, the
other paths; a missing directory; a bad stamp name."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import pwd

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


def test_files_are_described_without_following_links(tmp_path):
    svc = make_tree(tmp_path)
    unit = tmp_path / "api.service"
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    os.chmod(str(unit), 0o640)
    paths = [str(unit), str(svc / "releases" / "bbb"), str(svc / "current"), str(tmp_path / "none")]
    with set_module_args({"path": str(svc), "files": paths}):
        res = run_module(release_info.main)
    files = res["files"]
    assert files[str(unit)]["type"] == "file" and files[str(unit)]["mode"] == "0640"
    assert files[str(unit)]["sha256"] == hashlib.sha256(b"[Service]\nExecStart=/bin/true\n").hexdigest()
    assert files[str(unit)]["owner"] == pwd.getpwuid(os.getuid())[0] and files[str(unit)]["target"] is None
    assert files[str(svc / "releases" / "bbb")]["type"] == "directory"
    assert files[str(svc / "releases" / "bbb")]["sha256"] is None
    assert files[str(svc / "current")]["type"] == "link"
    assert files[str(svc / "current")]["target"] == "releases/bbb"
    assert files[str(tmp_path / "none")] == {"exists": False, "type": None, "mode": None, "owner": None,
                                             "group": None, "sha256": None, "target": None, "readable": True,
                                             "error": None}
    assert res["unit"] is None


def test_an_owner_without_a_name_is_its_number(tmp_path, monkeypatch):
    path = tmp_path / "f"
    path.write_text("x")

    def no_name(number):
        raise KeyError(number)

    monkeypatch.setattr(release_info.pwd, "getpwuid", no_name)
    assert release_info.describe_file(str(path))["owner"] == str(os.getuid())


def test_the_unit_state_is_read_with_systemctl_show():
    calls = []

    def run_command(argv):
        calls.append(argv)
        return 0, "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\nNeedDaemonReload=no\n", ""

    state = release_info.unit_state(run_command, "/bin/systemctl", "api.service")
    assert calls == [["/bin/systemctl", "show", "api.service", "--property",
                      "LoadState,ActiveState,UnitFileState,NeedDaemonReload"]]
    assert state == {"name": "api.service", "load_state": "loaded", "active_state": "active",
                     "unit_file_state": "enabled", "need_daemon_reload": False, "error": None}


def test_a_unit_that_needs_a_reload_and_one_systemd_does_not_know():
    state = release_info.unit_state(
        lambda argv: (0, "LoadState=not-found\nActiveState=inactive\nUnitFileState=\nNeedDaemonReload=yes\n", ""),
        "/bin/systemctl", "gone.service")
    assert state["load_state"] == "not-found" and state["unit_file_state"] == "" and state["need_daemon_reload"]


def test_systemctl_failing_or_missing_says_why():
    state = release_info.unit_state(lambda argv: (1, "", "Failed to connect to bus\n"), "/bin/systemctl", "a.service")
    assert state["error"] == "systemctl show a.service failed (1): Failed to connect to bus"
    assert state["active_state"] is None
    assert release_info.unit_state(None, None, "a.service")["error"] == "systemctl not found"


def test_expect_lists_what_differs_and_why(tmp_path):
    svc = make_tree(tmp_path)
    unit = tmp_path / "api.service"
    unit.write_text("unit")
    sha = hashlib.sha256(b"unit").hexdigest()
    me = pwd.getpwuid(os.getuid())[0]
    expect = {
        str(unit): {"type": "file", "mode": "0644", "owner": me, "sha256": sha},
        str(svc / "current"): {"type": "link", "target": "releases/ccc"},
        str(svc / "releases" / "bbb"): {"type": "directory"},
        str(tmp_path / "none"): {"type": "file"},
    }
    os.chmod(str(unit), 0o600)
    with set_module_args({"path": str(svc), "expect": expect}):
        res = run_module(release_info.main)
    assert res["differs"] == {str(unit): ["mode 0600, not 0644"],
                              str(svc / "current"): ["target releases/bbb, not releases/ccc"],
                              str(tmp_path / "none"): ["missing"]}
    assert set(res["files"]) == set(expect)
    os.chmod(str(unit), 0o644)
    expect[str(svc / "current")]["target"] = "releases/bbb"
    del expect[str(tmp_path / "none")]
    with set_module_args({"path": str(svc), "expect": expect}):
        assert run_module(release_info.main)["differs"] == {}


@pytest.mark.parametrize("want", [{"colour": "red"}, "file"])
def test_an_expect_entry_that_is_not_a_file_state_is_refused(tmp_path, want):
    with set_module_args({"path": str(tmp_path), "expect": {str(tmp_path): want}}):
        res = run_module(release_info.main, expect_fail=True)
    assert res["msg"].startswith("expect[%s] must be a dictionary of type, mode, owner, group, sha256, target" % tmp_path)
