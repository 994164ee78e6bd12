# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.go_build on this machine with its real go command, against a module proxy made by the test: a
file:// GOPROXY holding example.com/hello v1.0.0 and v1.1.0 and no version list (like proxies that refuse listing).
Offline: GOSUMDB is off for this private module, nothing else is fetched."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import zipfile

import pytest

from adhoc import run_module

MODULE = "example.com/hello"
PACKAGE = MODULE + "/cmd/hello"
MAIN = 'package main\n\nimport "fmt"\n\nvar version = "unset"\n\nfunc main() { fmt.Println("hello MODVERSION " + version) }\n'
GO = shutil.which("go")
SHARED = {}


def add_version(proxy, version, body=MAIN):
    base = os.path.join(proxy, MODULE, "@v")
    os.makedirs(base, exist_ok=True)
    gomod = "module %s\n\ngo 1.21\n" % MODULE
    with open(os.path.join(base, version + ".info"), "w") as fh:
        json.dump({"Version": version, "Time": "2026-01-01T00:00:00Z"}, fh)
    with open(os.path.join(base, version + ".mod"), "w") as fh:
        fh.write(gomod)
    with zipfile.ZipFile(os.path.join(base, version + ".zip"), "w") as zf:
        zf.writestr("%s@%s/go.mod" % (MODULE, version), gomod)
        zf.writestr("%s@%s/cmd/hello/main.go" % (MODULE, version), body.replace("MODVERSION", version))


@pytest.fixture(scope="session")
def gocache(tmp_path_factory):
    """One build cache for every build of these tests (the standard library is compiled once, not per build)."""
    return str(tmp_path_factory.mktemp("gocache"))


@pytest.fixture
def proxy(tmp_path, gocache):
    if not GO:
        pytest.skip("no go command on PATH: this test builds with the machine's Go")
    root = str(tmp_path / "proxy")
    add_version(root, "v1.0.0")
    add_version(root, "v1.1.0")
    SHARED["gocache"] = gocache
    return root


def args(proxy, dest, **kw):
    out = {"package": PACKAGE, "version": "v1.0.0", "dest": dest, "go": GO,
           "state_dir": os.path.join(os.path.dirname(proxy), "state"),
           "environment": {"GOPROXY": "file://" + proxy, "GOSUMDB": "off", "GOFLAGS": "-mod=mod",
                           "GOCACHE": SHARED["gocache"]}}
    out.update(kw)
    return out


def hello(dest):
    return subprocess.run([dest], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.strip()


def test_build_then_nothing_then_a_new_version(proxy, tmp_path):
    dest = str(tmp_path / "bin" / "hello")
    os.makedirs(os.path.dirname(dest))
    rc, res = run_module("go_build", args(proxy, dest), check=True)
    assert rc == 0 and res["changed"] and not os.path.exists(dest), res
    assert res["reasons"] == ["%s does not exist" % dest]
    rc, res = run_module("go_build", args(proxy, dest))
    assert rc == 0 and res["changed"], res
    assert hello(dest) == "hello v1.0.0 unset" and oct(os.stat(dest).st_mode & 0o777) == "0o755"
    assert res["module"] == MODULE and res["go_version"].startswith("go") and len(res["sha256"]) == 64
    rc, res = run_module("go_build", args(proxy, dest))
    assert rc == 0 and not res["changed"] and res["reasons"] == [], res
    rc, res = run_module("go_build", args(proxy, dest, version="v1.1.0"), check=True)
    assert res["changed"] and res["reasons"] == ["it was built from %s v1.0.0, not v1.1.0" % MODULE], res
    assert hello(dest) == "hello v1.0.0 unset"  # check mode built nothing
    rc, res = run_module("go_build", args(proxy, dest, version="v1.1.0"))
    assert rc == 0 and res["changed"] and hello(dest) == "hello v1.1.0 unset", res
    assert os.listdir(os.path.dirname(dest)) == ["hello"]  # no temporary file left beside it


def test_ldflags_and_cgo_are_part_of_what_is_up_to_date(proxy, tmp_path):
    dest = str(tmp_path / "hello")
    flags = "-X main.version=pinned"
    rc, res = run_module("go_build", args(proxy, dest, ldflags=flags))
    assert rc == 0 and res["changed"] and hello(dest) == "hello v1.0.0 pinned", res
    rc, res = run_module("go_build", args(proxy, dest, ldflags=flags))
    assert not res["changed"], res
    rc, res = run_module("go_build", args(proxy, dest), check=True)
    assert res["changed"] and res["reasons"] == ["its -ldflags is %r, not None" % flags], res
    # Without the record, a -trimpath build's -ldflags are unknown: a build that asks for some is made again.
    shutil.rmtree(os.path.join(str(tmp_path), "state"))
    rc, res = run_module("go_build", args(proxy, dest, ldflags=flags), check=True)
    assert res["changed"] and "its -ldflags cannot be read" in res["reasons"][0], res
    # Without -trimpath they are in the executable itself.
    rc, res = run_module("go_build", args(proxy, dest, ldflags=flags, trimpath=False))
    assert rc == 0 and res["changed"], res
    shutil.rmtree(os.path.join(str(tmp_path), "state"))
    rc, res = run_module("go_build", args(proxy, dest, ldflags=flags, trimpath=False))
    assert rc == 0 and not res["changed"], res


def test_a_version_the_proxy_does_not_have_leaves_dest_as_it_was(proxy, tmp_path):
    dest = str(tmp_path / "hello")
    run_module("go_build", args(proxy, dest))
    before = open(dest, "rb").read()
    rc, res = run_module("go_build", args(proxy, dest, version="v9.9.9"))
    assert rc != 0 and res["failed"], res
    assert "go get %s@v9.9.9" % PACKAGE in res["msg"] and "was left as it was" in res["msg"], res["msg"]
    assert open(dest, "rb").read() == before and sorted(os.listdir(str(tmp_path))) == ["hello", "proxy", "state"]


def test_a_killed_build_s_leftover_is_removed(proxy, tmp_path):
    dest = str(tmp_path / "hello")
    leftover = str(tmp_path / ".hello.tmp-gobuild-abc123")
    with open(leftover, "w") as fh:
        fh.write("half a binary")
    rc, res = run_module("go_build", args(proxy, dest))
    assert rc == 0 and res["removed"] == [leftover] and not os.path.exists(leftover), res


def test_queries_and_package_versions_are_refused(proxy, tmp_path):
    dest = str(tmp_path / "hello")
    rc, res = run_module("go_build", args(proxy, dest, version="latest"))
    assert rc != 0 and "version must be a module version" in res["msg"] and "latest" in res["msg"], res
    rc, res = run_module("go_build", args(proxy, dest, package=PACKAGE + "@v1.0.0"))
    assert rc != 0 and "without @version" in res["msg"], res
    assert not os.path.exists(dest)
