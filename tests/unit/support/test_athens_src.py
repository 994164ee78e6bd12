"""tests/support/athens_src.py: Athens' source snapshot served as a module from a file-layout GOPROXY directory.

Fixture snapshots (made here, in the layout of shared/vendor/athens: athens-<tag>/ at the top) check Go's module
zip rules; the real v0.18.0 snapshot, when it is there, must be a module zip the go command itself accepts
(``go mod download`` from the directory alone: no network).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import athens_src  # noqa: E402  pylint: disable=wrong-import-position

GO_MOD = b"module github.com/gomods/athens\n\ngo 1.26.2\n"


def make_snapshot(path, version, files, symlinks=()):
    top = "athens-" + version
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo("%s/%s" % (top, name))
            info.size, info.mtime = len(data), 1781400000
            tar.addfile(info, io.BytesIO(data))
        for name, target in symlinks:
            info = tarfile.TarInfo("%s/%s" % (top, name))
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return str(path)


def test_module_zip_follows_gos_rules(tmp_path):
    snapshot = make_snapshot(tmp_path / "athens-v9.9.9-src.tar.gz", "v9.9.9", {
        "go.mod": GO_MOD, "LICENSE": b"MIT\n", "cmd/proxy/main.go": b"package main\n",
        "pkg/x/test_data/mockmod.xyz@v1.2.3.zip": b"zip",
        "tools/go.mod": b"module github.com/gomods/athens/tools\n", "tools/tool.go": b"package tools\n",
        "vendor/modules.txt": b"# vendored\n", "vendor/example.com/dep/dep.go": b"package dep\n",
        "pkg/vendor/dep/dep.go": b"package dep\n",
        ".git/config": b"[core]\n"}, symlinks=[("cmd/link.go", "proxy/main.go")])
    at_v = athens_src.write_module(snapshot, "v9.9.9", str(tmp_path / "proxy"))
    assert at_v == str(tmp_path / "proxy" / "github.com" / "gomods" / "athens" / "@v")
    with zipfile.ZipFile(os.path.join(at_v, "v9.9.9.zip")) as zf:
        names = zf.namelist()
    prefix = "github.com/gomods/athens@v9.9.9/"
    # Regular files only, none in a nested module, a vendored package or a VCS directory (vendor/modules.txt is
    # kept); every one under module@version/.
    assert names == [prefix + n for n in ("LICENSE", "cmd/proxy/main.go", "go.mod",
                                          "pkg/x/test_data/mockmod.xyz@v1.2.3.zip", "vendor/modules.txt")]
    with open(os.path.join(at_v, "v9.9.9.mod"), "rb") as fh:
        assert fh.read() == GO_MOD
    with open(os.path.join(at_v, "v9.9.9.info"), encoding="utf-8") as fh:
        assert json.load(fh) == {"Version": "v9.9.9", "Time": "2026-06-14T01:20:00Z"}
    with open(os.path.join(at_v, "list"), encoding="utf-8") as fh:
        assert fh.read() == "v9.9.9\n"


def test_list_names_every_version_served(tmp_path):
    for version in ("v0.15.4", "v0.18.0"):
        athens_src.write_module(make_snapshot(tmp_path / ("%s.tar.gz" % version), version, {"go.mod": GO_MOD}),
                                version, str(tmp_path / "proxy"))
    with open(tmp_path / "proxy" / "github.com" / "gomods" / "athens" / "@v" / "list", encoding="utf-8") as fh:
        assert fh.read() == "v0.15.4\nv0.18.0\n"


def test_files_differing_only_in_case_are_refused(tmp_path):
    snapshot = make_snapshot(tmp_path / "s.tar.gz", "v1.0.0", {"go.mod": GO_MOD, "README": b"a", "readme": b"b"})
    with pytest.raises(ValueError, match="differ only in case"):
        athens_src.write_module(snapshot, "v1.0.0", str(tmp_path / "proxy"))


def test_a_snapshot_of_another_module_is_refused(tmp_path):
    snapshot = make_snapshot(tmp_path / "s.tar.gz", "v1.0.0", {"go.mod": b"module example.com/other\n"})
    with pytest.raises(ValueError, match="does not declare module github.com/gomods/athens"):
        athens_src.write_module(snapshot, "v1.0.0", str(tmp_path / "proxy"))


def test_vendor_dir_comes_from_the_environment_first(tmp_path, monkeypatch):
    (tmp_path / "athens").mkdir()
    snapshot = make_snapshot(tmp_path / "athens" / "athens-v1.2.3-src.tar.gz", "v1.2.3", {"go.mod": GO_MOD})
    monkeypatch.setenv("GOHOST_VENDOR_DIR", str(tmp_path))
    assert athens_src.vendor_candidates()[0] == str(tmp_path / "athens")
    assert athens_src.find_snapshot("v1.2.3") == snapshot
    assert athens_src.find_snapshot("v7.7.7") is None or "v7.7.7" in athens_src.find_snapshot("v7.7.7")


def test_vendor_dir_beside_the_checkout(tmp_path, monkeypatch):
    """<checkout>/../shared/vendor/athens, for a checkout given as root (as CI lays them out)."""
    monkeypatch.delenv("GOHOST_VENDOR_DIR", raising=False)
    (tmp_path / "shared" / "vendor" / "athens").mkdir(parents=True)
    (tmp_path / "clone").mkdir()
    snapshot = make_snapshot(tmp_path / "shared" / "vendor" / "athens" / "athens-v1.2.3-src.tar.gz", "v1.2.3",
                             {"go.mod": GO_MOD})
    assert athens_src.vendor_candidates(str(tmp_path / "clone")) == [str(tmp_path / "shared" / "vendor" / "athens")]
    assert athens_src.find_snapshot("v1.2.3", str(tmp_path / "clone")) == snapshot


def test_redact_hides_the_proxy_address():
    assert athens_src.redact("GET https://proxy.example/x: 403", "https://proxy.example,direct") == \
        "GET $GOPROXY/x: 403"


def test_real_snapshot_is_a_module_the_go_command_accepts(tmp_path):
    snapshot = athens_src.find_snapshot("v0.18.0")
    if snapshot is None:
        pytest.skip("no athens-v0.18.0-src.tar.gz in %s" % " or ".join(athens_src.vendor_candidates()))
    if not shutil.which("go"):
        pytest.skip("go is not installed")
    athens_src.write_module(snapshot, "v0.18.0", str(tmp_path / "proxy"))
    env = dict(os.environ, GOPROXY="file://%s" % (tmp_path / "proxy"), GONOSUMDB="github.com/gomods/athens",
               GOFLAGS="-mod=mod -modcacherw", GOMODCACHE=str(tmp_path / "mod"), GOTOOLCHAIN="local")
    res = subprocess.run(["go", "mod", "download", "-json", "github.com/gomods/athens@v0.18.0"], cwd=str(tmp_path),
                         env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    info = json.loads(res.stdout)
    assert info["Version"] == "v0.18.0" and info["Sum"].startswith("h1:"), info
    assert os.path.isfile(os.path.join(info["Dir"], "cmd", "proxy", "main.go"))
