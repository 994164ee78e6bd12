# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.govulncheck through `ansible` on this machine, with the real govulncheck v1.9.0 (built here with
`go install`), real executables (a program calling golang.org/x/text/language.ParseAcceptLanguage, built with
x/text v0.3.7 and v0.3.8, and a stripped copy), and a small real database (tests/unit/fixtures/govulncheck/db:
GO-2022-1059 and a stdlib entry, see its README) read from its directory and served over HTTP.

Run with `make unit` (or `pytest tests/integration`); needs the venv's `ansible`, `make collection`, Go, and the Go
module proxy of the environment (`go env GOPROXY`) for govulncheck and x/text - skipped, saying why, without them.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import socket
import subprocess
import sys


import pytest

import adhoc

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, ".cache", "collections"))
from ansible_collections.noble.gohost.plugins.module_utils import _go_buildinfo as gb  # noqa: E402
from ansible_collections.noble.gohost.plugins.module_utils import _govulncheck as gv  # noqa: E402

sys.path.insert(0, TOP)
from tests.unit.plugins.modules.utils import http_server  # noqa: E402  (the module tests' static server)

GO = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
DB_DIR = os.path.join(TOP, "tests", "unit", "fixtures", "govulncheck", "db")
GOVULNCHECK = "golang.org/x/vuln/cmd/govulncheck@v1.9.0"
MAIN_GO = """package main

import (
\t"fmt"
\t"os"

\t"golang.org/x/text/language"
)

func main() {
\ttags, _, err := language.ParseAcceptLanguage(os.Getenv("ACCEPT_LANGUAGE") + ",en")
\tfmt.Println(tags, err)
}
"""
# go.sum of golang.org/x/text v0.3.7 and v0.3.8 (the checksum database's lines): no lookup of sum.golang.org
GO_SUM = """golang.org/x/text v0.3.7 h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=
golang.org/x/text v0.3.7/go.mod h1:u+2+/6zg+i71rQMx5EYifcz6MCKuco9NR6JIITiCfzQ=
golang.org/x/text v0.3.8 h1:nAL+RVCQ9uMn3vJZbV+MRnydTJFPf8qqY42YiA6MrqY=
golang.org/x/text v0.3.8/go.mod h1:E6s5w1FMmriuDzIBO73fBruAKo1PCIq6d2Q6DHfQ8WQ=
"""


def go_env():
    """The environment of the go commands: the module proxy and checksum settings of this one, no GOFLAGS."""
    env = dict(os.environ, GOTOOLCHAIN="local", CGO_ENABLED="0")
    env.pop("GOFLAGS", None)
    return env


def run(cmd, cwd=None, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env or go_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    """{govulncheck, dir, lang-old, lang-new, lang-old-stripped, script, go_version}."""
    if GO is None:
        pytest.skip("no Go toolchain on this machine to build govulncheck and the executables with")
    root = tmp_path_factory.mktemp("govulncheck-host")
    gobin = root / "gobin"
    proc = run([GO, "install", GOVULNCHECK], env=dict(go_env(), GOBIN=str(gobin)))
    if proc.returncode != 0:
        pytest.skip("go install %s failed (no module proxy from here? GOPROXY=%s): %s"
                    % (GOVULNCHECK, run([GO, "env", "GOPROXY"]).stdout.strip(), proc.stdout[-800:]))
    out = root / "bin"
    out.mkdir()
    paths = {"govulncheck": str(gobin / "govulncheck"), "dir": str(out)}
    for name, text_version in (("lang-old", "v0.3.7"), ("lang-new", "v0.3.8")):
        src = root / name
        src.mkdir()
        (src / "go.mod").write_text("module example.com/langsvc\n\ngo 1.22\n\nrequire golang.org/x/text %s\n"
                                    % text_version)
        (src / "go.sum").write_text(GO_SUM)
        (src / "main.go").write_text(MAIN_GO)
        proc = run([GO, "mod", "download", "golang.org/x/text"], cwd=str(src))
        if proc.returncode != 0:
            pytest.skip("cannot download golang.org/x/text %s (no module proxy from here?): %s"
                        % (text_version, proc.stdout[-800:]))
        proc = run([GO, "build", "-mod=mod", "-trimpath", "-buildvcs=false", "-o", str(out / name), "."],
                   cwd=str(src))
        assert proc.returncode == 0, proc.stdout
        paths[name] = str(out / name)
    proc = run([GO, "build", "-mod=mod", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o",
                str(out / "lang-old-stripped"), "."], cwd=str(root / "lang-old"))
    assert proc.returncode == 0, proc.stdout
    paths["lang-old-stripped"] = str(out / "lang-old-stripped")
    (out / "backup.sh").write_text("#!/bin/sh\necho backup\n")
    paths["script"] = str(out / "backup.sh")
    paths["go_version"] = run([GO, "env", "GOVERSION"]).stdout.strip()
    return paths


def scan(tools, db, check=False, **extra):
    args = dict({"paths": [tools["dir"]], "db": db, "govulncheck": tools["govulncheck"]}, **extra)
    return adhoc.run_module("govulncheck", args, check=check, timeout=600)


def by_name(result):
    return dict((os.path.basename(b["path"]), b) for b in result["binaries"])


def stdlib_affected(go_version):
    """Whether GO-2026-6809 of the fixture database affects this Go (its SEMVER ranges)."""
    with open(os.path.join(DB_DIR, "ID", "GO-2026-6809.json")) as fh:
        osv = json.load(fh)
    have = gb.version_key(go_version)
    for affected in osv["affected"]:
        for rng in affected["ranges"]:
            lo = None
            for event in rng["events"]:
                if "introduced" in event:
                    lo = gb.version_key("0.0.0" if event["introduced"] == "0" else event["introduced"].split("-")[0])
                elif "fixed" in event and lo is not None:
                    if lo <= have < gb.version_key(event["fixed"]):
                        return True
                    lo = None
            if lo is not None and lo <= have:
                return True
    return False


def test_real_scan_from_the_database_directory(tools):
    rc, result = scan(tools, "file://" + DB_DIR, policy={"cgo_disabled": True, "trimpath": True})
    assert rc == 0, result
    assert result["changed"] is False
    bins = by_name(result)
    assert sorted(bins) == ["lang-new", "lang-old", "lang-old-stripped"]
    assert result["not_go"] == [{"path": tools["script"], "reason": "not an ELF executable"}]
    assert result["scanner"] == {"name": "govulncheck", "version": "v1.9.0"}
    with open(os.path.join(DB_DIR, "index", "db.json")) as fh:
        modified = json.load(fh)["modified"]
    assert result["db"] == {"url": "file://" + DB_DIR, "modified": modified, "last_modified": modified}

    old = bins["lang-old"]
    assert old["stripped"] is False and old["scan_error"] == ""
    assert old["vulns"][0] == {
        "id": "GO-2022-1059", "aliases": ["CVE-2022-32149", "GHSA-69ch-w2m2-3vjp"],
        "summary": "Denial of service via crafted Accept-Language header in golang.org/x/text/language",
        "url": "https://pkg.go.dev/vuln/GO-2022-1059", "module": "golang.org/x/text",
        "package": "golang.org/x/text/language", "found_version": "v0.3.7", "fixed_version": "v0.3.8",
        "level": "symbol", "symbols": ["golang.org/x/text/language.ParseAcceptLanguage"]}
    assert "GO-2022-1059" not in [v["id"] for v in bins["lang-new"]["vulns"]]
    stripped = bins["lang-old-stripped"]
    assert stripped["stripped"] is True
    assert [(v["id"], v["level"], v["symbols"]) for v in stripped["vulns"] if v["id"] == "GO-2022-1059"] == \
        [("GO-2022-1059", "module", [])]

    # the stdlib entry: found exactly when this Go is in its ranges, at module level (x509 is not linked in)
    affected = stdlib_affected(tools["go_version"])
    for name, entry in sorted(bins.items()):
        std = [v for v in entry["vulns"] if v["id"] == "GO-2026-6809"]
        assert bool(std) is affected, (name, tools["go_version"], entry["vulns"])
        for vuln in std:
            assert (vuln["module"], vuln["found_version"], vuln["level"]) == ("stdlib", tools["go_version"], "module")
        assert entry["go_version"] == tools["go_version"]
        assert entry["settings"]["cgo_enabled"] == "0" and entry["settings"]["trimpath"] is True
        assert entry["policy_violations"] == []

    expected_symbol = 1
    assert result["counts"] == {"symbol": expected_symbol, "package": 0,
                                "module": sum(len(b["vulns"]) for b in bins.values()) - expected_symbol,
                                "policy": 0, "binaries": 3, "not_go": 1}

    # the SBOM holds x/text v0.3.7 with the h1 hash of go.sum, in hex
    comps = dict((c["name"], c) for c in old["sbom"]["components"])
    assert comps["golang.org/x/text"]["version"] == "v0.3.7"
    assert comps["golang.org/x/text"]["hashes"] == [
        {"alg": "SHA-256", "content": gv.h1_to_sha256_hex("h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=")}]
    assert comps["stdlib"]["purl"] == "pkg:golang/stdlib@" + tools["go_version"][2:]


def test_agrees_with_govulncheck_itself(tools):
    """The module's vulnerabilities and levels are the ones of govulncheck's own JSON for each executable."""
    rc, result = scan(tools, "file://" + DB_DIR, sbom=False)
    assert rc == 0, result
    for entry in result["binaries"]:
        proc = subprocess.run([tools["govulncheck"], "-db", "file://" + DB_DIR, "-mode", "binary", "-format", "json",
                               entry["path"]], stdout=subprocess.PIPE, universal_newlines=True, check=True,
                              env=go_env())
        raw = gv.parse_stream(proc.stdout)
        levels = {}
        for msg in raw:
            if "finding" in msg:
                key = msg["finding"]["osv"]
                level = gv.LEVELS.index(gv.finding_level(msg["finding"]))
                levels[key] = min(levels.get(key, 9), level)
        got = dict((v["id"], v["level"]) for v in entry["vulns"])
        if entry["stripped"]:
            assert got == dict((k, "module") for k in levels)
        else:
            assert got == dict((k, gv.LEVELS[n]) for k, n in levels.items())
        assert "sbom" not in entry


def test_database_over_http_and_check_mode(tools):
    """govulncheck reads index/*.json.gz and ID/*.json.gz over HTTP: the same findings as from the directory."""
    rc, local = scan(tools, "file://" + DB_DIR, sbom=False)
    assert rc == 0, local
    with http_server(DB_DIR) as url:
        rc, remote = scan(tools, url, sbom=False)
        assert rc == 0, remote
        rc, checked = scan(tools, url, check=True, sbom=False)
        assert rc == 0, checked
    assert remote["db"]["url"] == url and remote["db"]["modified"] == local["db"]["modified"]
    assert [b["vulns"] for b in remote["binaries"]] == [b["vulns"] for b in local["binaries"]]
    assert checked["binaries"] == remote["binaries"] and checked["changed"] is False


def test_policy_violation_on_a_real_binary(tools):
    major, minor = gb.version_key(tools["go_version"])[:2]
    newer = "%d.%d" % (major, minor + 1)
    rc, result = scan(tools, "file://" + DB_DIR, sbom=False, paths=[tools["lang-new"]],
                      policy={"min_go_version": newer, "vcs_clean": True})
    assert rc == 0, result
    assert result["binaries"][0]["policy_violations"] == [
        {"rule": "min_go_version", "expected": ">= go" + newer, "found": tools["go_version"],
         "evidence": tools["go_version"]}]
    assert result["counts"]["policy"] == 1


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_unreachable_database_scans_nothing(tools, tmp_path):
    url = "http://127.0.0.1:%d" % free_port()
    rc, result = scan(tools, url)
    assert rc != 0 and result["failed"] is True
    assert result["msg"].startswith("db %s is unreachable: GET %s/index/db.json" % (url, url)), result["msg"]
    assert "binaries" not in result
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "db.json").write_text("<html>proxy error</html>")
    rc, result = scan(tools, "file://%s" % tmp_path)
    assert rc != 0 and "is not JSON" in result["msg"] and "db file://%s" % tmp_path in result["msg"]
