# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_go_build: what makes a build needed, the commands a build runs (a fake runner), and what a failed or killed
build leaves. The module end to end with the real go command: tests/integration/test_go_build_host.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _go_build as gob

PKG = "github.com/goproxy/goproxy/cmd/goproxy"


def summary(version="v0.21.0", settings=None, package=PKG, replace=None):
    dep = {"path": "github.com/goproxy/goproxy", "version": version, "sum": "h1:x"}
    if replace:
        dep["replace"] = replace
    return {"package": package, "go_version": "go1.26.6",
            "main_module": {"path": gob.BUILD_MODULE, "version": "(devel)", "sum": ""},
            "deps": [{"path": "github.com/goproxy", "version": "v9.9.9", "sum": ""}, dep],
            "settings": settings if settings is not None else {"CGO_ENABLED": "0", "-trimpath": "true"}}


WANT = gob.wanted_settings(False, True, "", [])


def test_wanted_settings_are_what_the_linker_records():
    assert gob.wanted_settings(True, False, "-s -w", ["netgo", "osusergo"]) == {
        "CGO_ENABLED": "1", "-ldflags": "-s -w", "-tags": "netgo,osusergo"}
    assert WANT == {"CGO_ENABLED": "0", "-trimpath": "true"}


def test_the_longest_module_path_provides_the_package():
    assert gob.providing_module(summary(), PKG)["path"] == "github.com/goproxy/goproxy"
    assert gob.providing_module(summary(), "example.com/other") is None


def test_up_to_date_and_each_reason():
    assert gob.reasons_to_build(summary(), None, PKG, "v0.21.0", WANT) == []
    assert gob.reasons_to_build(None, "/x does not exist", PKG, "v0.21.0", WANT) == ["/x does not exist"]
    assert gob.reasons_to_build(summary(), None, PKG, "v0.22.0", WANT) == [
        "it was built from github.com/goproxy/goproxy v0.21.0, not v0.22.0"]
    assert gob.reasons_to_build(summary(package="example.com/x"), None, PKG, "v0.21.0", WANT) == [
        "it is a build of example.com/x, not %s" % PKG]
    assert "replaced by ../goproxy" in gob.reasons_to_build(
        summary(replace={"path": "../goproxy", "version": ""}), None, PKG, "v0.21.0", WANT)[0]
    cgo = gob.reasons_to_build(summary(settings={"CGO_ENABLED": "1", "-trimpath": "true"}), None, PKG, "v0.21.0", WANT)
    assert cgo == ["its CGO_ENABLED is '1', not '0'"]
    # a setting the binary has and the options do not ask for is a reason too
    tags = gob.reasons_to_build(summary(settings={"CGO_ENABLED": "0", "-trimpath": "true", "-tags": "netgo"}),
                                None, PKG, "v0.21.0", WANT)
    assert tags == ["its -tags is 'netgo', not None"]


def test_ldflags_of_a_trimpath_build_come_from_the_record_of_the_same_binary():
    want = gob.wanted_settings(False, True, "-s -w", [])
    record = {"settings": want, "sha256": "abc"}
    assert gob.reasons_to_build(summary(), None, PKG, "v0.21.0", want, record, "abc") == []
    # the record of another binary (replaced by hand since) says nothing about this one
    stale = gob.reasons_to_build(summary(), None, PKG, "v0.21.0", want, record, "def")
    assert len(stale) == 1 and "cannot be read" in stale[0]
    # the record says -s -w, the options now none: rebuild
    assert gob.reasons_to_build(summary(), None, PKG, "v0.21.0", WANT, record, "abc") == [
        "its -ldflags is '-s -w', not None"]
    # no record and no -ldflags asked: nothing says otherwise
    assert gob.reasons_to_build(summary(), None, PKG, "v0.21.0", WANT, None, "abc") == []


def test_read_current_explains_what_cannot_be_used(tmp_path):
    missing = str(tmp_path / "none")
    assert gob.read_current(missing) == (None, "%s does not exist" % missing)
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\n")
    got, why = gob.read_current(str(script))
    assert got is None and "is not a Go executable" in why


def test_records_round_trip(tmp_path):
    path = gob.record_path(str(tmp_path / "state"), "/usr/local/bin/goproxy")
    assert path.endswith("usr_local_bin_goproxy.json")
    gob.write_record(path, {"sha256": "abc"})
    assert gob.read_record(path) == {"sha256": "abc"} and gob.read_record(path + "x") is None


class Runner(object):
    """Records each command; `fail_on` makes the step whose argv[1] it names fail."""

    def __init__(self, fail_on=None, output=""):
        self.calls = []
        self.fail_on = fail_on
        self.output = output

    def __call__(self, argv, cwd, env):
        self.calls.append((argv, cwd, dict(env)))
        assert os.path.exists(os.path.join(cwd, "go.mod"))
        if argv[1] == self.fail_on:
            return 1, self.output
        if argv[1] == "build":
            with open(argv[argv.index("-o") + 1], "w") as handle:
                handle.write("binary")
        return 0, ""


def test_a_build_is_go_get_then_go_build_into_a_file_beside_dest(tmp_path):
    dest = str(tmp_path / "goproxy")
    run = Runner()
    out = gob.build(run, "/go/bin/go", PKG, "v0.21.0", dest, {"GOPROXY": "http://p", "GOFLAGS": "-mod=mod"},
                    ldflags="-s -w", tags=["netgo"], cache_dir=str(tmp_path / "cache"))
    assert os.path.dirname(out) == str(tmp_path) and os.path.basename(out).startswith(".goproxy" + gob.TMP_MARK)
    (get, cwd, env), (build, _cwd, _env) = run.calls
    assert get == ["/go/bin/go", "get", PKG + "@v0.21.0"]
    assert build[:3] == ["/go/bin/go", "build", "-o"] and build[3] == out
    assert build[4:] == ["-trimpath", "-ldflags=-s -w", "-tags=netgo", PKG]
    assert env["GOPROXY"] == "http://p" and env["CGO_ENABLED"] == "0" and env["GOTOOLCHAIN"] == "local"
    assert env["GOFLAGS"] == "-mod=mod -modcacherw" and env["GOPATH"] == str(tmp_path / "cache" / "gopath")
    assert not os.path.exists(cwd)  # the throwaway module is gone


def test_the_environment_may_choose_the_toolchain_but_not_cgo(tmp_path):
    run = Runner()
    gob.build(run, "go", PKG, "v0.21.0", str(tmp_path / "g"), {"GOTOOLCHAIN": "go1.27.3", "CGO_ENABLED": "1"})
    env = run.calls[0][2]
    assert env["GOTOOLCHAIN"] == "go1.27.3" and env["CGO_ENABLED"] == "0"


@pytest.mark.parametrize("step, output, hint", [
    ("get", "reading http://p/x/@v/v9.info: 404 Not Found", "does not have that version"),
    ("get", "403 Forbidden", "refused the module"),
    ("get", "verifying x@v1: checksum mismatch\nSECURITY ERROR", "does not vouch"),
    ("build", "package x is not a main package", "must be a main package"),
    ("build", "something else", ""),
])
def test_a_failed_step_leaves_nothing_beside_dest(tmp_path, step, output, hint):
    dest = str(tmp_path / "goproxy")
    with pytest.raises(gob.BuildError) as err:
        gob.build(Runner(fail_on=step, output=output), "go", PKG, "v9", dest, {})
    assert err.value.step.startswith("go " + step) and err.value.output == output
    assert (hint in err.value.hint) if hint else err.value.hint == ""
    assert os.listdir(str(tmp_path)) == []


def test_leftovers_of_killed_builds_are_removed_and_nothing_else(tmp_path):
    dest = str(tmp_path / "goproxy")
    for name in (".goproxy%sabc" % gob.TMP_MARK, "goproxy", ".other%sabc" % gob.TMP_MARK):
        (tmp_path / name).write_text("x")
    (tmp_path / (".goproxy%sdir" % gob.TMP_MARK)).mkdir()
    gone = gob.remove_leftovers(dest)
    assert sorted(os.path.basename(g) for g in gone) == [".goproxy%sabc" % gob.TMP_MARK, ".goproxy%sdir" % gob.TMP_MARK]
    assert sorted(os.listdir(str(tmp_path))) == [".other%sabc" % gob.TMP_MARK, "goproxy"]
