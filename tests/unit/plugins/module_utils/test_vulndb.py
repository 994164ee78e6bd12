# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_vulndb: the database layout against what vulndb's own gendb wrote for the same real entries (fixtures/vulndb),
the semver and latest-fixed rules, broken trees, and the update (against a fake go command that answers like the
real one): fresh, no change, a version that does not resolve, a corrupt module, a killed run's leftovers, pruning.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import json
import os
import shutil
import stat
import sys

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _vulndb as vdb

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "vulndb")
OSV = os.path.join(FIXTURES, "osv")
GENDB = os.path.join(FIXTURES, "gendb")
SNAPSHOT_TIME = "2026-11-05T23:49:57Z"  # the time gendb's one-commit repository was committed at


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def test_build_writes_the_bytes_gendb_writes(tmp_path):
    out = str(tmp_path / "db")
    summary = vdb.build(OSV, out, SNAPSHOT_TIME)
    assert summary == {"entries": 7, "modules": len(json.loads(_read(os.path.join(GENDB, "modules.json")))),
                       "modified": SNAPSHOT_TIME}
    for name in ("db.json", "modules.json", "vulns.json"):
        assert _read(os.path.join(out, "index", name)) == _read(os.path.join(GENDB, name)), name
        assert gzip.decompress(_read(os.path.join(out, "index", name + ".gz"))) == _read(os.path.join(GENDB, name))
    for name in os.listdir(os.path.join(GENDB, "ID")):
        # gendb re-encodes with Go's encoding/json (its own key order, HTML escaping): the same JSON value
        assert json.loads(_read(os.path.join(out, "ID", name))) == json.loads(_read(os.path.join(GENDB, "ID", name)))
        assert gzip.decompress(_read(os.path.join(out, "ID", name + ".gz"))) == _read(os.path.join(out, "ID", name))
    assert vdb.check(out) == {"entries": 7, "modified": SNAPSHOT_TIME}


def test_a_rebuild_gives_the_same_bytes(tmp_path):
    vdb.build(OSV, str(tmp_path / "a"), SNAPSHOT_TIME)
    vdb.build(OSV, str(tmp_path / "b"), SNAPSHOT_TIME)
    for sub in ("index", "ID"):
        for name in os.listdir(str(tmp_path / "a" / sub)):
            assert _read(str(tmp_path / "a" / sub / name)) == _read(str(tmp_path / "b" / sub / name)), name


def test_an_entry_with_its_own_times_keeps_them(tmp_path):
    osv = tmp_path / "osv"
    shutil.copytree(OSV, str(osv))
    entry = json.loads(_read(str(osv / "GO-2022-1059.json")))
    entry["modified"] = "2026-11-30T10:00:00Z"
    (osv / "GO-2022-1059.json").write_text(json.dumps(entry))
    summary = vdb.build(str(osv), str(tmp_path / "db"), SNAPSHOT_TIME)
    assert summary["modified"] == "2026-11-30T10:00:00Z"
    written = json.loads(_read(str(tmp_path / "db" / "ID" / "GO-2022-1059.json")))
    assert written["modified"] == "2026-11-30T10:00:00Z" and written["published"] == SNAPSHOT_TIME


@pytest.mark.parametrize("a, b, before", [
    ("", "0.3.8", True), ("0.3.8", "", False), ("", "", False), ("0.3.7", "0.3.8", True), ("0.3.10", "0.3.8", False),
    ("1.0.0-rc.1", "1.0.0", True), ("1.0.0-alpha", "1.0.0-alpha.1", True), ("1.0.0-alpha.2", "1.0.0-alpha.10", True),
    ("1.0.0-alpha.beta", "1.0.0-alpha.1", False), ("1.11.0-alpha.0.0.20260225185322-738bad662b20", "1.11.0", True),
    ("v1.2.3", "1.2.4", True), ("1.2", "1.2.0", True),
])
def test_semver_order(a, b, before):
    assert vdb.semver_before(a, b) is before


def _ranges(*events, **kw):
    return [{"type": kw.get("type", "SEMVER"), "events": [dict([e]) for e in events]}]


@pytest.mark.parametrize("ranges, fixed", [
    (_ranges(("introduced", "0"), ("fixed", "0.3.8")), "0.3.8"),
    (_ranges(("introduced", "0"), ("fixed", "1.5.0"), ("introduced", "2.0.0"), ("fixed", "2.4.0")), "2.4.0"),
    (_ranges(("introduced", "0"), ("fixed", "1.5.0"), ("introduced", "2.0.0")), ""),
    (_ranges(("introduced", "0")), ""),
    (_ranges(("introduced", "0"), ("fixed", "1.0.0"), type="GIT"), ""),
    (_ranges(("introduced", "0"), ("fixed", "1.20.14"), ("introduced", "1.21.0-0"), ("fixed", "1.21.7")), "1.21.7"),
    (None, ""),
])
def test_latest_fixed(ranges, fixed):
    assert vdb.latest_fixed(ranges) == fixed


def test_the_reintroduced_entry_has_no_fixed_version_in_the_index(tmp_path):
    vdb.build(OSV, str(tmp_path / "db"), SNAPSHOT_TIME)
    modules = json.loads(_read(str(tmp_path / "db" / "index" / "modules.json")))
    rows = [v for m in modules for v in m["vulns"] if v["id"] == "GO-2024-2866"]
    assert rows and all("fixed" not in v for v in rows)


@pytest.mark.parametrize("name, content, message", [
    ("GO-2099-0001.json", "{not json", "is not a JSON OSV entry"),
    ("GO-2099-0001.json", "[]", "not an object"),
    ("GO-2099-0001.json", json.dumps({"id": "GO-2099-0002", "affected": []}), "does not name the file"),
    ("GO-2099-0001.json", json.dumps({"id": "GO-2099-0001", "affected": {}}), "affected is not a list"),
    ("GO-2099-0001.json", json.dumps({"id": "GO-2099-0001", "affected": [{"ranges": []}]}), "names no module"),
])
def test_a_broken_entry_stops_the_build(tmp_path, name, content, message):
    osv = tmp_path / "osv"
    shutil.copytree(OSV, str(osv))
    (osv / name).write_text(content)
    with pytest.raises(vdb.VulnDBError, match=message):
        vdb.build(str(osv), str(tmp_path / "db"), SNAPSHOT_TIME)


def test_an_empty_or_missing_tree_stops_the_build(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(vdb.VulnDBError, match="holds no OSV entry"):
        vdb.build(str(tmp_path / "empty"), str(tmp_path / "db"), SNAPSHOT_TIME)
    with pytest.raises(vdb.VulnDBError, match="not a golang.org/x/vulndb tree"):
        vdb.build(str(tmp_path / "missing"), str(tmp_path / "db2"), SNAPSHOT_TIME)


def test_check_refuses_an_incomplete_database(tmp_path):
    out = str(tmp_path / "db")
    vdb.build(OSV, out, SNAPSHOT_TIME)
    os.unlink(os.path.join(out, "ID", "GO-2022-1059.json.gz"))
    with pytest.raises(vdb.VulnDBError, match="lacks 1 entries of its index, e.g. GO-2022-1059"):
        vdb.check(out)
    with pytest.raises(vdb.VulnDBError, match="is not a vulnerability database"):
        vdb.check(str(tmp_path))


# --- the update, against a fake go command ----------------------------------------------------------------------

FAKE_GO = """#!{python}
import json, os, sys
spec = json.load(open({spec!r}))
with open({calls!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
query = args[-1]
module, _, version = query.partition("@")
if args[:3] == ["list", "-m", "-json"]:
    resolved = spec["latest"] if version == "latest" else version
    if resolved not in spec["versions"]:
        print(json.dumps({{"Path": module, "Query": version,
                          "Error": {{"Err": module + "@" + version + ": invalid version: unknown revision " + version}}}}))
        sys.exit(1)
    print(json.dumps({{"Path": module, "Version": resolved, "Time": spec["versions"][resolved]["time"]}}))
elif args[:3] == ["mod", "download", "-json"]:
    v = spec["versions"][version]
    print(json.dumps({{"Path": module, "Version": version, "Dir": v["dir"], "Sum": "h1:fake=" if v.get("sum", True) else ""}}))
else:
    sys.exit(2)
"""


@pytest.fixture
def mirror(tmp_path):
    """A fake go answering for two versions of the module, each a tree with data/osv; returns (config, spec, calls)."""
    versions = {}
    for version, stamp in (("v0.0.0-20261105234957-e22db6528018", SNAPSHOT_TIME),
                           ("v0.0.0-20261201000000-aaaaaaaaaaaa", "2026-12-01T00:00:00Z")):
        tree = tmp_path / "modcache" / version
        shutil.copytree(OSV, str(tree / "data" / "osv"))
        versions[version] = {"dir": str(tree), "time": stamp}
    spec = {"latest": "v0.0.0-20261105234957-e22db6528018", "versions": versions}
    spec_path = tmp_path / "spec.json"
    calls = tmp_path / "calls.log"

    def save():
        spec_path.write_text(json.dumps(spec))

    save()
    go = tmp_path / "go"
    go.write_text(FAKE_GO.format(python=sys.executable, spec=str(spec_path), calls=str(calls)))
    go.chmod(go.stat().st_mode | stat.S_IXUSR)
    config = {"go": str(go), "version": "latest", "root": str(tmp_path / "srv"), "cache_dir": str(tmp_path / "cache"),
              "env": {"GOPROXY": "http://127.0.0.1:9/"}, "keep": 2}
    return config, spec, save, calls


def _served(root):
    return os.readlink(os.path.join(root, "current")), json.loads(_read(os.path.join(root, "state.json")))


def test_update_serves_the_resolved_version_then_changes_nothing(mirror):
    config, spec, save, calls = mirror
    first = vdb.update(config)
    assert first["changed"] is True and first["version"] == spec["latest"] and first["entries"] == 7
    link, state = _served(config["root"])
    assert link == "releases/" + spec["latest"] and state["modified"] == SNAPSHOT_TIME and state["sum"] == "h1:fake="
    assert vdb.check(os.path.join(config["root"], "current"))["entries"] == 7
    again = vdb.update(config)
    assert again["changed"] is False
    assert [c.split()[1] for c in calls.read_text().splitlines()] == ["-m", "download", "-m"]  # no second download


def test_a_new_version_is_switched_to_and_old_ones_pruned(mirror):
    config, spec, save, calls = mirror
    vdb.update(config)
    spec["latest"] = "v0.0.0-20261201000000-aaaaaaaaaaaa"
    save()
    result = vdb.update(config)
    assert result["changed"] and result["previous"] == "v0.0.0-20261105234957-e22db6528018"
    assert _served(config["root"])[0] == "releases/v0.0.0-20261201000000-aaaaaaaaaaaa"
    assert sorted(os.listdir(os.path.join(config["root"], "releases"))) == sorted(spec["versions"])
    config["keep"] = 1
    spec["latest"] = "v0.0.0-20261105234957-e22db6528018"
    save()
    vdb.update(config)
    assert os.listdir(os.path.join(config["root"], "releases")) == ["v0.0.0-20261105234957-e22db6528018"]


def test_a_version_that_does_not_resolve_leaves_the_served_database(mirror):
    config, spec, save, calls = mirror
    vdb.update(config)
    before = _served(config["root"])
    config["version"] = "v0.0.0-20990101000000-000000000000"
    with pytest.raises(vdb.VulnDBError, match="invalid version: unknown revision"):
        vdb.update(config)
    assert _served(config["root"]) == before


def test_a_corrupt_module_leaves_the_served_database_and_no_staging(mirror):
    config, spec, save, calls = mirror
    vdb.update(config)
    before = _served(config["root"])
    bad = "v0.0.0-20261201000000-aaaaaaaaaaaa"
    with open(os.path.join(spec["versions"][bad]["dir"], "data", "osv", "GO-2022-1059.json"), "w") as handle:
        handle.write('{"id": "GO-2022-1059", "affected": [')
    config["version"] = bad
    with pytest.raises(vdb.VulnDBError, match="GO-2022-1059.json is not a JSON OSV entry"):
        vdb.update(config)
    assert _served(config["root"]) == before
    assert os.listdir(os.path.join(config["root"], "releases")) == [spec["latest"]]


def test_a_download_without_a_verified_sum_is_refused(mirror):
    config, spec, save, calls = mirror
    spec["versions"][spec["latest"]]["sum"] = False
    save()
    with pytest.raises(vdb.VulnDBError, match="gave no verified tree"):
        vdb.update(config)
    assert not os.path.lexists(os.path.join(config["root"], "current"))


def test_a_killed_runs_leftovers_are_removed_and_a_damaged_release_rebuilt(mirror):
    config, spec, save, calls = mirror
    vdb.update(config)
    root = config["root"]
    os.makedirs(os.path.join(root, "releases", ".v0.0.0-x.tmp-123", "ID"))
    os.symlink("releases/nothing", os.path.join(root, "current.tmp-123"))
    os.unlink(os.path.join(root, "current", "ID", "GO-2022-1059.json.gz"))
    result = vdb.update(config)
    assert result["changed"] is True  # the served release failed its check: rebuilt
    assert sorted(os.listdir(root)) == ["current", "releases", "state.json"]
    assert os.listdir(os.path.join(root, "releases")) == [spec["latest"]]
    assert vdb.check(os.path.join(root, "current"))["entries"] == 7


def test_main_reports_failure_on_stderr_with_exit_1(mirror, tmp_path, capsys):
    config, spec, save, calls = mirror
    config["version"] = "v9.9.9"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert vdb.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert "the served database is unchanged" in err and "unknown revision v9.9.9" in err
    config["version"] = "latest"
    path.write_text(json.dumps(config))
    assert vdb.main([str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == spec["latest"]
    assert vdb.main([]) == 2


def test_latest_that_does_not_resolve_says_to_name_a_version(mirror):
    config, spec, save, calls = mirror
    spec["latest"] = "v0.0.0-20990101000000-000000000000"  # the fake proxy then knows no latest version
    save()
    with pytest.raises(vdb.VulnDBError, match=r"does not resolve @latest for golang.org/x/vulndb: name a version"):
        vdb.update(config)
