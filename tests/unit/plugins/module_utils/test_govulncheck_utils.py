# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_govulncheck: the JSON stream of real govulncheck v1.9.0 runs (tests/unit/fixtures/govulncheck, see
its README), streams broken from them, the build policy and the SBOM from the real build information of the same
executables, and a mocked run_command for the runs."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import uuid

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _go_buildinfo as gb
from ansible_collections.noble.gohost.plugins.module_utils import _govulncheck as gv

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "govulncheck")
GO = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)


def stream_text(name):
    with gzip.open(os.path.join(FIXTURES, name + ".json.gz"), "rt") as fh:
        return fh.read()


def modinfo(name):
    """(go_version, summary) of the build information `go version -m` printed for a fixture executable."""
    with io.open(os.path.join(FIXTURES, name + ".modinfo.txt"), encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    version = lines[0].split(": ", 1)[1]
    text = "".join(line[1:] + "\n" for line in lines[1:] if line.startswith("\t"))
    return gb.summarize(version, gb.parse_modinfo(text))


def sha256_of(name):
    with open(os.path.join(FIXTURES, "sha256sums.txt")) as fh:
        for line in fh:
            digest, path = line.split()
            if os.path.basename(path) == name:
                return digest
    raise KeyError(name)


def findings(messages):
    return [m["finding"] for m in messages if "finding" in m]


@pytest.fixture(scope="module")
def old():
    return gv.parse_stream(stream_text("lang-old"))


@pytest.fixture(scope="module")
def new():
    return gv.parse_stream(stream_text("lang-new"))


# --- the stream ------------------------------------------------------------------------------------------------------

def test_parse_stream_reads_every_pretty_printed_object(old):
    text = stream_text("lang-old")
    kinds = [list(m)[0] for m in old]
    # every top-level object of the text, counted without the decoder: each opens with a line "{" of its own
    assert len(old) == text.splitlines().count("{") == text.splitlines().count("}")
    assert kinds[0] == "config" and kinds.count("config") == 1
    assert kinds.count("osv") == text.count('\n  "osv": {')
    assert kinds.count("finding") == text.count('\n  "finding": {')
    assert gv.scan_config(old) == old[0]["config"]
    assert old[0]["config"]["scanner_version"] == "v1.9.0" and old[0]["config"]["scan_mode"] == "binary"


def test_lang_old_go_2022_1059_at_symbol_level(old):
    got = gv.summarize_scan(old)
    vulns = got["vulns"]
    first = vulns[0]
    assert first == {
        "id": "GO-2022-1059",
        "aliases": ["CVE-2022-32149", "GHSA-69ch-w2m2-3vjp"],
        "summary": "Denial of service via crafted Accept-Language header in golang.org/x/text/language",
        "url": "https://pkg.go.dev/vuln/GO-2022-1059",
        "module": "golang.org/x/text",
        "package": "golang.org/x/text/language",
        "found_version": "v0.3.7",
        "fixed_version": "v0.3.8",
        "level": "symbol",
        "symbols": ["golang.org/x/text/language.ParseAcceptLanguage"],
    }
    # govulncheck emitted it three times, once per level: the module's, the package's, the symbol's
    levels = [gv.finding_level(f) for f in findings(old) if f["osv"] == "GO-2022-1059"]
    assert levels == ["module", "package", "symbol"]
    # the others are module level only: one entry per (id, module) of the findings
    keys = sorted(set((f["osv"], f["trace"][0]["module"]) for f in findings(old)))
    assert sorted((v["id"], v["module"]) for v in vulns) == keys
    assert [v["level"] for v in vulns[1:]] == ["module"] * (len(vulns) - 1)
    assert all(v["symbols"] == [] and v["package"] == "" for v in vulns[1:])


def test_lang_old_stdlib_versions_are_go_releases(old):
    vulns = gv.summarize_scan(old)["vulns"]
    std = [v for v in vulns if v["module"] == "stdlib"]
    assert std, vulns
    raw = dict((f["osv"], f) for f in findings(old) if f["trace"][0]["module"] == "stdlib")
    for vuln in std:
        frame = raw[vuln["id"]]["trace"][0]
        assert frame["version"] == "v1.26.8"
        assert vuln["found_version"] == "go1.26.8"
        assert vuln["fixed_version"] == "go" + raw[vuln["id"]]["fixed_version"][1:]
        assert vuln["url"] == "https://pkg.go.dev/vuln/" + vuln["id"]


def test_sorted_by_level_then_id(old):
    vulns = gv.summarize_scan(old)["vulns"]
    order = [(gv.LEVELS.index(v["level"]), v["id"], v["module"]) for v in vulns]
    assert order == sorted(order)
    assert gv.count_levels(vulns) == {"symbol": 1, "package": 0, "module": len(vulns) - 1}


def test_lang_new_has_no_go_2022_1059(new, old):
    vulns = gv.summarize_scan(new)["vulns"]
    assert "GO-2022-1059" not in [v["id"] for v in vulns]
    assert set(v["level"] for v in vulns) == {"module"}
    text = [v for v in vulns if v["module"] == "golang.org/x/text"]
    assert text and all(v["found_version"] == "v0.3.8" for v in text)
    # the same vulnerabilities but GO-2022-1059: the same Go built both
    assert [v["id"] for v in gv.summarize_scan(old)["vulns"][1:]] == [v["id"] for v in vulns]


def test_stripped_binary_is_module_level_only(old):
    vulns = gv.summarize_scan(old, stripped=True)["vulns"]
    assert [v["id"] for v in vulns if v["id"] == "GO-2022-1059"] == ["GO-2022-1059"]
    assert set(v["level"] for v in vulns) == {"module"}
    assert all(v["symbols"] == [] and v["package"] == "" for v in vulns)


def test_package_level_when_no_symbol_finding(old):
    """The stream without GO-2022-1059's symbol finding: its deepest finding is the package's."""
    edited = [m for m in old if not ("finding" in m and m["finding"]["osv"] == "GO-2022-1059"
                                     and gv.finding_level(m["finding"]) == "symbol")]
    assert len(edited) == len(old) - 1
    vuln = gv.summarize_scan(edited)["vulns"][0]
    assert (vuln["id"], vuln["level"], vuln["package"], vuln["symbols"]) == \
        ("GO-2022-1059", "package", "golang.org/x/text/language", [])


def test_finding_of_an_unknown_osv_keeps_its_id(old):
    edited = [m for m in old if not ("osv" in m and m["osv"]["id"] == "GO-2022-1059")]
    vuln = gv.summarize_scan(edited)["vulns"][0]
    assert (vuln["id"], vuln["summary"], vuln["aliases"], vuln["url"], vuln["level"]) == \
        ("GO-2022-1059", "", [], "", "symbol")


def test_frame_symbol_names():
    assert gv.frame_symbol({"package": "crypto/x509", "function": "Verify", "receiver": "*Certificate"}) == \
        "crypto/x509.Certificate.Verify"
    assert gv.frame_symbol({"package": "net/http", "function": "Serve$1"}) == "net/http.Serve"
    assert gv.frame_symbol({"package": "net/http"}) is None
    assert gv.frame_symbol({"module": "stdlib"}) is None


@pytest.mark.parametrize("semver,tag", [
    ("v1.26.8", "go1.26.8"), ("v1.21.0", "go1.21.0"), ("v1.19.0", "go1.19"), ("v1.20.0", "go1.20"),
    ("v1.21.0-rc.2", "go1.21rc2"), ("v1.20.0-beta.1", "go1.20beta1"), ("v1.0.0", "go1"), ("v1.9.7", "go1.9.7"),
    ("", ""), ("v0.0.0-20230101000000-abcdef123456", "v0.0.0-20230101000000-abcdef123456"),
])
def test_semver_to_go_tag(semver, tag):
    assert gv.semver_to_go_tag(semver) == tag


def test_semver_to_go_tag_names_real_releases():
    """Against the Go release this machine runs: its go version, in semver form, maps back to it."""
    if GO is None:
        pytest.skip("no Go toolchain on this machine")
    release = subprocess.run([GO, "env", "GOVERSION"], stdout=subprocess.PIPE, universal_newlines=True,
                             check=True).stdout.strip()
    key = gb.version_key(release)
    if key is None or key[3] != 2:
        pytest.skip("this Go (%s) is not a release" % release)
    assert gv.semver_to_go_tag("v%d.%d.%d" % key[:3]) == release


# --- broken streams --------------------------------------------------------------------------------------------------

def test_cut_stream_raises_with_the_offset():
    text = stream_text("lang-old")
    cut = text[: len(text) // 2]
    with pytest.raises(gv.StreamError) as err:
        gv.parse_stream(cut)
    msg = str(err.value)
    assert msg.startswith("govulncheck printed invalid JSON at byte ")
    offset = int(msg.split("at byte ")[1].split()[0])
    assert cut[offset] == "{" and offset < len(cut)


@pytest.mark.parametrize("text,words", [
    ('{"config": {}}\n[1, 2]\n', "a JSON list at byte 15"),
    ('{"config": {}}\n"x"\n', "JSON str"),
    ("Scanning your code...\n", "invalid JSON at byte 0 (message 1)"),
])
def test_not_objects(text, words):
    with pytest.raises(gv.StreamError) as err:
        gv.parse_stream(text)
    assert words in str(err.value)


def test_empty_stream_is_empty():
    assert gv.parse_stream("") == [] and gv.parse_stream("\n \n") == []


def test_finding_without_an_id(old):
    broken = old + [{"finding": {"fixed_version": "v1", "trace": [{"module": "m"}]}}]
    with pytest.raises(gv.StreamError) as err:
        gv.summarize_scan(broken)
    assert "finding without an osv id" in str(err.value)


# --- runs (mocked run_command) ---------------------------------------------------------------------------------------

class FakeRun(object):
    def __init__(self, rc, out, err=""):
        self.result = (rc, out, err)
        self.calls = []

    def __call__(self, argv, environ_update=None):
        self.calls.append((argv, environ_update))
        return self.result


def test_run_scan_success_and_argv():
    run = FakeRun(0, stream_text("lang-old"))
    argv = gv.scan_argv("/usr/local/bin/govulncheck", "file:///srv/db", "/bin/x", 300, "/usr/bin/timeout")
    assert argv == ["/usr/bin/timeout", "--kill-after=10", "300", "/usr/local/bin/govulncheck", "-db",
                    "file:///srv/db", "-mode", "binary", "-format", "json", "/bin/x"]
    assert gv.scan_argv("g", "d", "p") == ["g", "-db", "d", "-mode", "binary", "-format", "json", "p"]
    messages, error = gv.run_scan(run, argv, 300)
    assert error == "" and len(messages) == len(gv.parse_stream(stream_text("lang-old")))
    assert run.calls == [(argv, {"GOTOOLCHAIN": "local"})]


def test_run_scan_error_keeps_govulncheck_message():
    config = stream_text("lang-old").split("\n}\n", 1)[0] + "\n}\n"  # what it prints before failing
    run = FakeRun(1, config, "govulncheck: unrecognized binary format\n")
    messages, error = gv.run_scan(run, ["govulncheck", "x"])
    assert error == "govulncheck failed (rc 1): govulncheck: unrecognized binary format"
    assert list(messages[0]) == ["config"]


def test_run_scan_timeout():
    argv = gv.scan_argv("g", "d", "p", 5, "/usr/bin/timeout")
    for rc, how in ((124, "SIGTERM"), (137, "SIGKILL")):
        _messages, error = gv.run_scan(FakeRun(rc, ""), argv, 5)
        assert error == "govulncheck did not finish within 5 seconds (timeout %s)" % how


def test_run_scan_bad_output():
    text = stream_text("lang-old")
    messages, error = gv.run_scan(FakeRun(0, text[:-40]), ["g"])
    assert error.startswith("govulncheck printed invalid JSON at byte")
    assert messages == gv.parse_stream(text)[:-1]  # all but the cut one
    _messages, error = gv.run_scan(FakeRun(0, '{"progress": {"message": "x"}}'), ["g"])
    assert "no config message" in error
    _messages, error = gv.run_scan(FakeRun(2, "", ""), ["g"])
    assert error == "govulncheck failed (rc 2): no message"


def test_parse_version_output():
    with open(os.path.join(FIXTURES, "version.txt")) as fh:
        assert gv.parse_version_output(fh.read()) == {"name": "govulncheck", "version": "v1.9.0"}
    assert gv.parse_version_output("usage: govulncheck\n") is None


# --- the database ----------------------------------------------------------------------------------------------------

def test_parse_db_json_of_the_fixture_database():
    with open(os.path.join(FIXTURES, "db", "index", "db.json"), "rb") as fh:
        data = fh.read()
    assert gv.parse_db_json("file:///x", data) == {"modified": json.loads(data)["modified"]}
    with gzip.open(os.path.join(FIXTURES, "db", "index", "db.json.gz"), "rb") as fh:
        assert fh.read() == data


@pytest.mark.parametrize("data,words", [
    (b"<html>Not Found</html>", "is not JSON"),
    (b'{"modules": []}', 'no "modified" timestamp'),
    (b'[{"modified": "2026-01-01T00:00:00Z"}]', 'no "modified" timestamp'),
    (b'{"modified": ""}', 'no "modified" timestamp'),
    (b"\xff\xfe", "not UTF-8"),
])
def test_parse_db_json_refuses(data, words):
    with pytest.raises(gv.DatabaseError) as err:
        gv.parse_db_json("http://mirror:8080", data)
    assert str(err.value).startswith("db http://mirror:8080: http://mirror:8080/index/db.json ")
    assert words in str(err.value)


def test_db_scheme():
    assert [gv.db_scheme(u) for u in ("https://vuln.go.dev", "HTTP://x", "file:///srv", "/srv/db", "")] == \
        ["https", "http", "file", "", ""]


# --- build policy ----------------------------------------------------------------------------------------------------

def test_policy_on_lang_old():
    info = modinfo("lang-old")
    assert gv.check_policy(info, {}) == []
    got = gv.check_policy(info, {"min_go_version": "1.26.9", "cgo_disabled": True, "trimpath": True,
                                 "vcs_clean": True})
    assert got == [
        {"rule": "min_go_version", "expected": ">= go1.26.9", "found": "go1.26.8", "evidence": "go1.26.8"},
        {"rule": "cgo_disabled", "expected": "CGO_ENABLED=0", "found": "1", "evidence": "build\tCGO_ENABLED=1"},
        {"rule": "trimpath", "expected": "-trimpath=true", "found": None,
         "evidence": "-trimpath is absent from the build settings"},
    ]
    assert gv.check_policy(info, {"min_go_version": "1.26.8"}) == []
    assert gv.check_policy(info, {"min_go_version": "go1.26"}) == []
    assert gv.check_policy(info, {"cgo_disabled": False, "trimpath": None}) == []


def synthetic(lines, version="go1.25.3"):
    return gb.summarize(version, gb.parse_modinfo("".join(line + "\n" for line in lines)))


def test_policy_passes_and_vcs_modified():
    info = synthetic(["path\texample.com/api", "mod\texample.com/api\tv1.0.0\t", "build\t-trimpath=true",
                      "build\tCGO_ENABLED=0", "build\tvcs=git", "build\tvcs.modified=true"])
    assert gv.check_policy(info, {"cgo_disabled": True, "trimpath": True, "min_go_version": "1.25"}) == []
    assert gv.check_policy(info, {"vcs_clean": True}) == [
        {"rule": "vcs_clean", "expected": "vcs.modified=false", "found": "true",
         "evidence": "build\tvcs.modified=true"}]
    clean = synthetic(["path\tx", "build\tvcs.modified=false"])
    assert gv.check_policy(clean, {"vcs_clean": True}) == []
    # no CGO_ENABLED line at all
    assert gv.check_policy(clean, {"cgo_disabled": True})[0]["evidence"] == \
        "CGO_ENABLED is absent from the build settings"


def test_policy_devel_go():
    info = synthetic(["path\tx"], version="devel go1.27-abcdef")
    got = gv.check_policy(info, {"min_go_version": "1.25"})
    assert got[0]["rule"] == "min_go_version" and "cannot be compared" in got[0]["evidence"]


@pytest.mark.parametrize("policy,words", [
    ({"min_go": "1.25"}, "unknown rule(s) min_go"),
    ({"min_go_version": "latest"}, "is not a Go release"),
    ({"cgo_disabled": "yes"}, "must be a boolean"),
])
def test_policy_refused(policy, words):
    with pytest.raises(ValueError) as err:
        gv.normalize_policy(policy)
    assert words in str(err.value)


# --- SBOM ------------------------------------------------------------------------------------------------------------

def test_h1_to_hex_round_trips():
    info = modinfo("lang-old")
    h1 = info["deps"][0]["sum"]
    assert h1 == "h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk="
    hexsum = gv.h1_to_sha256_hex(h1)
    assert len(hexsum) == 64 and "h1:" + base64.b64encode(bytes(bytearray.fromhex(hexsum))).decode() == h1
    for bad in ("", None, "h1:", "h1:!!!!", "h1:" + base64.b64encode(b"short").decode(), "h2:abc"):
        assert gv.h1_to_sha256_hex(bad) is None


def test_h1_is_the_dirhash_of_the_module():
    """golang.org/x/mod/sumdb/dirhash.Hash1 of golang.org/x/text@v0.3.7 in the module cache is the sum of lang-old's
    build information; its hex is what the SBOM holds."""
    if GO is None:
        pytest.skip("no Go toolchain on this machine (for GOMODCACHE)")
    cache = subprocess.run([GO, "env", "GOMODCACHE"], stdout=subprocess.PIPE, universal_newlines=True,
                           check=True).stdout.strip()
    root = os.path.join(cache, "golang.org", "x", "text@v0.3.7")
    if not os.path.isdir(root):
        pytest.skip("golang.org/x/text@v0.3.7 is not in the module cache %s" % cache)
    names = []
    for top, _dirs, files in os.walk(root):
        for name in files:
            rel = os.path.relpath(os.path.join(top, name), root).replace(os.sep, "/")
            names.append(("golang.org/x/text@v0.3.7/" + rel, os.path.join(top, name)))
    summary = hashlib.sha256()
    for name, path in sorted(names):
        with open(path, "rb") as fh:
            summary.update(("%s  %s\n" % (hashlib.sha256(fh.read()).hexdigest(), name)).encode("utf-8"))
    assert gv.h1_to_sha256_hex(modinfo("lang-old")["deps"][0]["sum"]) == summary.hexdigest()


def test_sbom_of_lang_old():
    info, sha = modinfo("lang-old"), sha256_of("lang-old")
    bom = gv.build_sbom(info, sha)
    assert (bom["bomFormat"], bom["specVersion"], bom["version"]) == ("CycloneDX", "1.5", 1)
    assert bom["serialNumber"] == "urn:uuid:%s" % uuid.uuid5(gv.SBOM_NAMESPACE, sha)
    assert uuid.UUID(bom["serialNumber"][9:]).version == 5
    app = bom["metadata"]["component"]
    assert app == {"type": "application", "name": "example.com/langsvc", "version": "(devel)",
                   "purl": "pkg:golang/example.com/langsvc@%28devel%29",
                   "bom-ref": "pkg:golang/example.com/langsvc@%28devel%29"}
    text, std = bom["components"]
    assert text == {"type": "library", "name": "golang.org/x/text", "version": "v0.3.7",
                    "purl": "pkg:golang/golang.org/x/text@v0.3.7", "bom-ref": "pkg:golang/golang.org/x/text@v0.3.7",
                    "hashes": [{"alg": "SHA-256", "content": gv.h1_to_sha256_hex(info["deps"][0]["sum"])}]}
    assert (std["name"], std["version"], std["purl"]) == ("stdlib", "1.26.8", "pkg:golang/stdlib@1.26.8")
    assert bom["dependencies"] == [{"ref": app["bom-ref"], "dependsOn": [text["bom-ref"], std["bom-ref"]]}]
    props = dict((p["name"], p["value"]) for p in bom["metadata"]["properties"])
    assert props["cdx:gomod:binary:hash:SHA-256"] == sha and props["cdx:gomod:build:env:CGO_ENABLED"] == "1"
    assert "timestamp" not in bom["metadata"]
    # deterministic: the same binary gives the same document; another gives another serial number
    assert json.dumps(gv.build_sbom(modinfo("lang-old"), sha), sort_keys=True) == json.dumps(bom, sort_keys=True)
    assert gv.build_sbom(modinfo("lang-new"), sha256_of("lang-new"))["serialNumber"] != bom["serialNumber"]


def test_sbom_replacements():
    h1 = "h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk="
    info = synthetic([
        "path\texample.com/api/cmd/api",
        "mod\texample.com/api\tv1.4.2\t",
        "dep\tgithub.com/a/b\tv1.0.0\th1:AAAA",
        "=>\tgithub.com/fork/b\tv1.0.1\t" + h1,
        "dep\texample.com/local\tv0.1.0\t",
        "=>\t../local\t(devel)\t",
        "dep\tgopkg.in/yaml.v3\tv3.0.1\t" + h1,
    ])
    bom = gv.build_sbom(info, "0" * 64)
    fork, local, yaml = bom["components"][:3]
    assert (fork["name"], fork["version"]) == ("github.com/fork/b", "v1.0.1")
    assert fork["purl"] == "pkg:golang/github.com/fork/b@v1.0.1"
    assert fork["properties"] == [{"name": "noble.gohost:replaces", "value": "github.com/a/b@v1.0.0"}]
    assert "purl" not in local and local["bom-ref"] == "go-module-dir:../local" and "hashes" not in local
    assert yaml["purl"] == "pkg:golang/gopkg.in/yaml.v3@v3.0.1"
    assert bom["metadata"]["component"]["purl"] == "pkg:golang/example.com/api@v1.4.2"
    refs = [c["bom-ref"] for c in bom["components"]]
    assert len(refs) == len(set(refs)) == 4 and bom["dependencies"][0]["dependsOn"] == refs


def test_purl_escapes():
    assert gv.go_purl("example.com/a b", "v1.0.0+incompatible") == "pkg:golang/example.com/a%20b@v1.0.0%2Bincompatible"


# --- one binary ------------------------------------------------------------------------------------------------------

def test_binary_entry_of_lang_old(old):
    info = modinfo("lang-old")
    entry = gv.binary_entry("/usr/local/bin/lang-old", info, sha256_of("lang-old"), False, old, "",
                            {"cgo_disabled": True}, True)
    assert entry["go_version"] == "go1.26.8"
    assert entry["main_module"] == {"path": "example.com/langsvc", "version": "(devel)"}
    assert entry["vcs"] == {"revision": None, "time": None, "modified": None}
    assert entry["settings"] == {"cgo_enabled": "1", "trimpath": False, "goos": "linux", "goarch": "amd64",
                                 "ldflags": None}
    assert entry["vulns"] == gv.summarize_scan(old)["vulns"] and entry["scan_error"] == ""
    assert [v["rule"] for v in entry["policy_violations"]] == ["cgo_disabled"]
    assert entry["sbom"]["metadata"]["component"]["name"] == "example.com/langsvc"
    bare = gv.binary_entry("/x", info, "0" * 64, True, old, "govulncheck failed (rc 1): boom", {}, False)
    assert bare["vulns"] == [] and bare["scan_error"] == "govulncheck failed (rc 1): boom" and "sbom" not in bare
    assert bare["stripped"] is True


def test_same_result_whatever_the_order_of_the_findings(old):
    """govulncheck emits findings from concurrent workers: the order of a vulnerability's findings varies between
    runs, the result must not. A second symbol finding in another package, in both orders."""
    extra = {"finding": {"osv": "GO-2022-1059", "fixed_version": "v0.3.8", "trace": [
        {"module": "golang.org/x/text", "version": "v0.3.7", "package": "golang.org/x/text/internal/language",
         "function": "Parse", "receiver": "*Tag"}]}}
    body = [m for m in old if "finding" not in m]
    found = [m for m in old if "finding" in m] + [extra]
    one = gv.summarize_scan(body + found)["vulns"]
    two = gv.summarize_scan(body + list(reversed(found)))["vulns"]
    assert one == two
    assert one[0]["package"] == "golang.org/x/text/internal/language, golang.org/x/text/language"
    assert one[0]["symbols"] == ["golang.org/x/text/internal/language.Tag.Parse",
                                 "golang.org/x/text/language.ParseAcceptLanguage"]
