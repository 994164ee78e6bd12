# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.govulncheck in-process: real executables built here with the machine's Go (skipped, saying why, when
there is none), govulncheck's run mocked with the streams it printed for real (tests/unit/fixtures/govulncheck),
and the database read from the fixture database - from its directory and served over HTTP by a local server.

The real govulncheck on real executables is tests/integration/test_govulncheck_host.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import hashlib
import os
import shutil
import struct
import subprocess

from unittest import mock

import pytest

from ansible.module_utils import basic

from ansible_collections.noble.gohost.plugins.module_utils import _govulncheck as gv
from ansible_collections.noble.gohost.plugins.modules import govulncheck

from .utils import http_server, run_module, set_module_args

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "govulncheck")
DB_DIR = os.path.abspath(os.path.join(FIXTURES, "db"))
DB = "file://" + DB_DIR
GO = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
needs_go = pytest.mark.skipif(GO is None, reason="no Go toolchain on this machine to build real executables with")

MAIN_GO = """package main

import "fmt"

func main() { fmt.Println("hello") }
"""


def stream(name):
    with gzip.open(os.path.join(FIXTURES, name + ".json.gz"), "rt") as fh:
        return fh.read()


def version_text():
    with open(os.path.join(FIXTURES, "version.txt")) as fh:
        return fh.read()


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """{name: path} of executables built here, plus a script, in one directory (`dir`)."""
    if GO is None:
        pytest.skip("no Go toolchain on this machine to build real executables with")
    root = tmp_path_factory.mktemp("govulncheck-build")
    src = root / "src"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/hello\n\ngo 1.21\n")
    (src / "main.go").write_text(MAIN_GO)
    out = root / "bin"
    out.mkdir()
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOPROXY="off", CGO_ENABLED="0")
    builds = {"plain": ["-buildvcs=false"], "trimmed": ["-trimpath", "-buildvcs=false"],
              "stripped": ["-buildvcs=false", "-ldflags=-s -w"]}
    paths = {}
    for name, args in sorted(builds.items()):
        subprocess.run([GO, "build", "-o", str(out / name)] + args + ["."], cwd=str(src), env=env, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        paths[name] = str(out / name)
    (out / "backup.sh").write_text("#!/bin/sh\necho backup\n")
    paths["script"] = str(out / "backup.sh")
    paths["dir"] = str(out)
    return paths


@pytest.fixture
def fake_govulncheck(tmp_path):
    """An executable file for the govulncheck option (its runs are mocked)."""
    path = tmp_path / "govulncheck"
    path.write_text("#!/bin/sh\nexit 99\n")
    path.chmod(0o755)
    return str(path)


class Runs(object):
    """run_command in place of AnsibleModule's: the lang-old stream for every scan, unless `by_name` says."""

    def __init__(self, by_name=None, default=None):
        self.by_name = by_name or {}
        self.default = default or (0, stream("lang-old"), "")
        self.calls = []

    def __call__(self, module, args, environ_update=None, **kwargs):  # pylint: disable=unused-argument
        self.calls.append((list(args), dict(environ_update or {}), os.environ.get("GOFLAGS")))
        if args[-1] == "-version":
            return 0, version_text(), ""
        return self.by_name.get(os.path.basename(args[-1]), self.default)


def scan(args, runs=None, check=False):
    runs = runs or Runs()
    args = dict(args)
    if check:
        args["_ansible_check_mode"] = True
    expect_fail = args.pop("_expect_fail", False)
    # the module drops GOFLAGS from its (own, throwaway) environment: keep the test process's
    with mock.patch.dict(os.environ, {"GOFLAGS": "-mod=vendor"}):
        with mock.patch.object(basic.AnsibleModule, "run_command", autospec=True, side_effect=runs):
            with set_module_args(args):
                return run_module(govulncheck.main, expect_fail=expect_fail), runs


def go_nm_has_symbols(path):
    proc = subprocess.run([GO, "tool", "nm", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    return proc.returncode == 0 and "no symbols" not in proc.stdout


@needs_go
def test_scans_each_go_binary_once_and_lists_the_script(built, fake_govulncheck):
    result, runs = scan({"paths": [built["dir"]], "db": DB, "govulncheck": fake_govulncheck})
    assert result["changed"] is False
    assert [b["path"] for b in result["binaries"]] == [built["plain"], built["stripped"], built["trimmed"]]
    assert result["not_go"] == [{"path": built["script"], "reason": "not an ELF executable"}]
    scans = [c for c in runs.calls if c[0][-1] != "-version"]
    assert [c[0][-1] for c in scans] == [b["path"] for b in result["binaries"]]
    for argv, env, goflags in scans:
        want = [fake_govulncheck, "-db", DB, "-mode", "binary", "-format", "json"]
        assert argv[argv.index(fake_govulncheck):-1] == want
        assert env == {"GOTOOLCHAIN": "local"} and goflags is None
        if shutil.which("timeout"):
            assert argv[:3] == [shutil.which("timeout"), "--kill-after=10", "300"]
    assert result["scanner"] == {"name": "govulncheck", "version": "v1.9.0"}
    with open(os.path.join(DB_DIR, "index", "db.json")) as fh:
        modified = gv.parse_db_json(DB, fh.read())["modified"]
    assert result["db"] == {"url": DB, "modified": modified, "last_modified": "2026-12-04T01:26:18Z"}


@needs_go
def test_binary_entries(built, fake_govulncheck):
    result, _runs = scan({"paths": [built["plain"], built["trimmed"], built["stripped"]], "db": DB,
                          "govulncheck": fake_govulncheck})
    plain, trimmed, stripped = result["binaries"]
    goversion = subprocess.run([GO, "env", "GOVERSION"], stdout=subprocess.PIPE, universal_newlines=True,
                               check=True).stdout.strip()
    for entry in (plain, trimmed, stripped):
        assert entry["go_version"] == goversion
        assert entry["main_module"] == {"path": "example.com/hello", "version": "(devel)"}
        assert entry["settings"]["cgo_enabled"] == "0" and entry["scan_error"] == ""
        with open(entry["path"], "rb") as fh:
            assert entry["sha256"] == hashlib.sha256(fh.read()).hexdigest()
        assert entry["stripped"] is (not go_nm_has_symbols(entry["path"]))
        assert entry["sbom"]["metadata"]["component"]["name"] == "example.com/hello"
    assert (plain["settings"]["trimpath"], trimmed["settings"]["trimpath"]) == (False, True)
    assert (plain["stripped"], stripped["stripped"]) == (False, True)
    assert stripped["settings"]["ldflags"] == "-s -w"
    # the mocked stream is lang-old's: GO-2022-1059 at symbol level, but not in a stripped binary
    assert plain["vulns"][0]["id"] == "GO-2022-1059" and plain["vulns"][0]["level"] == "symbol"
    assert set(v["level"] for v in stripped["vulns"]) == {"module"}
    assert result["counts"] == {"symbol": 2, "package": 0, "module": 3 * len(plain["vulns"]) - 2, "policy": 0,
                                "binaries": 3, "not_go": 0}


@needs_go
def test_policy_and_no_sbom(built, fake_govulncheck):
    result, _runs = scan({"paths": [built["plain"], built["trimmed"]], "db": DB, "govulncheck": fake_govulncheck,
                          "sbom": False, "policy": {"trimpath": True, "cgo_disabled": True, "min_go_version": "1.21"}})
    plain, trimmed = result["binaries"]
    assert plain["policy_violations"] == [{"rule": "trimpath", "expected": "-trimpath=true", "found": None,
                                           "evidence": "-trimpath is absent from the build settings"}]
    assert trimmed["policy_violations"] == []
    assert result["counts"]["policy"] == 1
    assert "sbom" not in plain and "sbom" not in trimmed


@needs_go
def test_scan_error_keeps_the_entry(built, fake_govulncheck):
    runs = Runs(by_name={"plain": (1, "", "govulncheck: reading binary: boom\n"),
                         "trimmed": (0, stream("lang-old")[:5000], "")})
    result, _runs = scan({"paths": [built["plain"], built["trimmed"]], "db": DB, "govulncheck": fake_govulncheck},
                         runs)
    plain, trimmed = result["binaries"]
    assert plain["scan_error"] == "govulncheck failed (rc 1): govulncheck: reading binary: boom"
    assert trimmed["scan_error"].startswith("govulncheck printed invalid JSON at byte ")
    assert plain["vulns"] == [] == trimmed["vulns"]
    assert plain["go_version"].startswith("go1.") and plain["sbom"]
    # the cut stream still had its config message: the scanner and the database's date come from there
    assert result["scanner"] == {"name": "govulncheck", "version": "v1.9.0"}
    assert result["db"]["last_modified"] == "2026-12-04T01:26:18Z"
    assert [c[0] for c in _runs.calls if c[0][-1] == "-version"] == [[fake_govulncheck, "-version"]]


def test_nothing_to_scan_asks_the_version(tmp_path, fake_govulncheck):
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    result, runs = scan({"paths": [str(script), str(tmp_path / "missing")], "db": DB,
                         "govulncheck": fake_govulncheck})
    assert result["binaries"] == []
    assert result["not_go"] == [{"path": str(script), "reason": "not an ELF executable"},
                                {"path": str(tmp_path / "missing"), "reason": "No such file or directory"}]
    assert [c[0] for c in runs.calls] == [[fake_govulncheck, "-version"]]
    assert result["scanner"] == {"name": "govulncheck", "version": "v1.9.0"}
    assert result["db"]["last_modified"] is None
    assert result["counts"] == {"symbol": 0, "package": 0, "module": 0, "policy": 0, "binaries": 0, "not_go": 2}


@needs_go
def test_check_mode_is_the_same(built, fake_govulncheck):
    args = {"paths": [built["dir"]], "db": DB, "govulncheck": fake_govulncheck}
    normal, _runs = scan(args)
    checked, _runs = scan(args, check=True)
    normal.pop("invocation", None)
    checked.pop("invocation", None)
    assert checked == normal


@needs_go
def test_db_over_http(built, fake_govulncheck):
    with http_server(DB_DIR) as url:
        result, runs = scan({"paths": [built["plain"]], "db": url + "/", "govulncheck": fake_govulncheck})
    assert result["db"]["url"] == url and result["db"]["modified"] == "2026-12-04T01:26:18Z"
    argv = runs.calls[1][0]  # after `govulncheck -version`
    assert argv[argv.index("-db") + 1] == url


def test_db_failures_scan_nothing(tmp_path, fake_govulncheck):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "db.json").write_text('{"vulns": []}')
    cases = [
        ("file://" + str(tmp_path / "nodb"), "db file://%s/nodb is unreachable: cannot read %s/nodb/index/db.json: No "
                                             "such file or directory" % (tmp_path, tmp_path)),
        ("file://" + str(tmp_path), 'has no "modified" timestamp, not a vulnerability database'),
        ("ftp://mirror/db", "db 'ftp://mirror/db' is not an http://, https:// or file:// URL"),
        ("/srv/db", "is not an http://, https:// or file:// URL"),
    ]
    with http_server(str(tmp_path)) as url:
        cases.append((url + "/missing", "db %s/missing is unreachable: GET %s/missing/index/db.json: " % (url, url)))
        cases.append((url, 'db %s: %s/index/db.json has no "modified"' % (url, url)))
        for db, words in cases:
            result, runs = scan({"paths": [str(tmp_path)], "db": db, "govulncheck": fake_govulncheck,
                                 "_expect_fail": True})
            assert words in result["msg"], (db, result["msg"])
            assert runs.calls == [], db
    # nothing listens there any more
    result, runs = scan({"paths": [str(tmp_path)], "db": url, "govulncheck": fake_govulncheck, "_expect_fail": True})
    assert result["msg"].startswith("db %s is unreachable: GET %s/index/db.json: " % (url, url)) and runs.calls == []


def test_govulncheck_option_checked(tmp_path):
    notexec = tmp_path / "govulncheck"
    notexec.write_text("x")
    notexec.chmod(0o644)
    for path, words in ((str(tmp_path / "none"), "govulncheck: %s/none is missing" % tmp_path),
                        (str(notexec), "govulncheck: %s is not executable" % notexec)):
        result, runs = scan({"paths": [str(tmp_path)], "db": DB, "govulncheck": path, "_expect_fail": True})
        assert result["msg"].startswith(words) and runs.calls == []


@pytest.mark.parametrize("policy,words", [
    ({"min_go_version": "soon"}, "policy.min_go_version 'soon' is not a Go release"),
    ({"trimpth": True}, "trimpth"),
])
def test_policy_refused(tmp_path, fake_govulncheck, policy, words):
    result, runs = scan({"paths": [str(tmp_path)], "db": DB, "govulncheck": fake_govulncheck, "policy": policy,
                         "_expect_fail": True})
    assert words in result["msg"] and runs.calls == []


def test_timeout_must_be_positive(tmp_path, fake_govulncheck):
    result, _runs = scan({"paths": [str(tmp_path)], "db": DB, "govulncheck": fake_govulncheck, "timeout": 0,
                          "_expect_fail": True})
    assert "timeout must be a positive number" in result["msg"]


@needs_go
def test_no_section_table_is_stripped(built, fake_govulncheck, tmp_path):
    """sstrip-like (no section table, so no symbol table either): still a Go binary, and stripped."""
    data = bytearray(open(built["plain"], "rb").read())
    struct.pack_into("<Q", data, 0x28, 0)  # e_shoff
    struct.pack_into("<HH", data, 0x3C, 0, 0)  # e_shnum, e_shstrndx
    path = tmp_path / "nosections"
    path.write_bytes(bytes(data))
    result, _runs = scan({"paths": [str(path), built["plain"]], "db": DB, "govulncheck": fake_govulncheck})
    nosections, plain = result["binaries"]
    assert (nosections["stripped"], plain["stripped"]) == (True, False)
    assert nosections["go_version"] == plain["go_version"]
    assert set(v["level"] for v in nosections["vulns"]) == {"module"}


def test_govulncheck_that_cannot_run(tmp_path):
    """Not mocked: an executable file that is no program (exec fails), and one that is not govulncheck."""
    garbage = tmp_path / "govulncheck"
    garbage.write_bytes(b"\x00\x01\x02 not a program")
    garbage.chmod(0o755)
    with mock.patch.dict(os.environ), \
            set_module_args({"paths": [str(tmp_path)], "db": DB, "govulncheck": str(garbage)}):
        result = run_module(govulncheck.main, expect_fail=True)
    assert result["msg"].startswith("govulncheck: cannot run %s: " % garbage), result["msg"]
    other = tmp_path / "other"
    other.write_text("#!/bin/sh\necho 'flag provided but not defined: -version' >&2\nexit 2\n")
    other.chmod(0o755)
    with mock.patch.dict(os.environ), set_module_args({"paths": [str(tmp_path)], "db": DB, "govulncheck": str(other)}):
        result = run_module(govulncheck.main, expect_fail=True)
    assert result["msg"] == ("govulncheck: %s -version failed or is not govulncheck's (rc 2): flag provided but not "
                             "defined: -version" % other)


@needs_go
def test_hanging_scan_is_killed(built, tmp_path):
    """Not mocked: a govulncheck that hangs on the scan is stopped by coreutils' timeout after `timeout` seconds."""
    if not shutil.which("timeout"):
        pytest.skip("no coreutils timeout on this machine")
    hang = tmp_path / "govulncheck"
    hang.write_text('#!/bin/sh\n[ "$1" = -version ] && { cat %s; exit 0; }\nexec sleep 60\n'
                    % os.path.join(os.path.abspath(FIXTURES), "version.txt"))
    hang.chmod(0o755)
    with mock.patch.dict(os.environ), \
            set_module_args({"paths": [built["plain"]], "db": DB, "govulncheck": str(hang), "timeout": 1}):
        result = run_module(govulncheck.main)
    entry = result["binaries"][0]
    assert entry["scan_error"] == "govulncheck did not finish within 1 seconds (timeout SIGTERM)"
    assert entry["vulns"] == [] and result["scanner"] == {"name": "govulncheck", "version": "v1.9.0"}
