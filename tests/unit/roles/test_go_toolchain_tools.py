# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_toolchain role: the checksum table generator (against a fixture release index) and the target-side helper
(module hash, checksum mismatch, links), on temporary directories. No network, no Go needed."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import tarfile
import zipfile

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
ROLE = os.path.join(ROOT, "roles", "go_toolchain")
GO = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
FIXTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "go_toolchain", "releases.json")


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


upd = load("update_checksums", os.path.join(ROLE, "tools", "update_checksums.py"))
helper = load("go_toolchain_helper", os.path.join(ROLE, "files", "go_toolchain_helper.py"))


def test_table_from_fixture_index():
    table = upd.build_table(json.load(open(FIXTURE)), ["amd64", "arm64"], since="1.24")
    # stable linux archives only; no source/installer/darwin/386 rows; no empty sha256; 1.23 is too old; newest first
    assert table == {
        "1.26.6": {"amd64": "708effb774be8237570d0add163225abbdfaf4fca28b2611df167beba4feef89",
                   "arm64": "d0507e9e9d7fe012aae570108cbd76c15de879e17130ab8cb90d4d7445cb1f2e"},
        "1.25.5": {"amd64": "9e9b755d63b36acf30c12a9a3fc379243714c1c6d3dd72861da637f336ebb35b"},
    }
    with_rc = upd.build_table(json.load(open(FIXTURE)), ["amd64"], since="1.24", unstable=True)
    assert list(with_rc) == ["1.27rc1", "1.26.6", "1.25.5"]


def test_render_round_trips_and_check_mode(tmp_path):
    out = tmp_path / "checksums.yml"
    assert upd.main(["--index", FIXTURE, "--out", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    assert data["__go_toolchain_checksums"]["1.26.6"]["arm64"].startswith("d0507e9e")
    assert upd.main(["--index", FIXTURE, "--out", str(out), "--check"]) == 0
    out.write_text(out.read_text().replace("d0507e9e", "00000000"))
    assert upd.main(["--index", FIXTURE, "--out", str(out), "--check"]) == 1


def test_shipped_table_is_well_formed():
    table = yaml.safe_load(open(os.path.join(ROLE, "vars", "checksums.yml")))["__go_toolchain_checksums"]
    assert table, "empty checksum table"
    for version, by_arch in table.items():
        assert isinstance(version, str) and upd.version_key(version), version
        for arch, digest in by_arch.items():
            assert arch in ("amd64", "arm64") and len(digest) == 64 and int(digest, 16) >= 0


def module_zip(files, prefix="golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64/"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(prefix + name, data)
    buf.seek(0)
    return buf


def reference_h1(files, prefix):
    """dirhash.Hash1 written out from its definition."""
    summary = "".join("%s  %s\n" % (hashlib.sha256(files[n]).hexdigest(), prefix + n) for n in sorted(files))
    import base64
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def test_module_h1_matches_definition():
    prefix = "golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64/"
    files = {"bin/go": b"\x7fELF...", "VERSION": b"go1.99.0\n", "src/_go.mod": b"module std\n", "a/b/c.txt": b""}
    with zipfile.ZipFile(module_zip(files)) as zf:
        assert helper.module_h1(zf) == reference_h1(files, prefix)


@pytest.mark.skipif(not GO, reason="no Go toolchain on this machine to compute the reference h1 with")
def test_module_h1_equals_the_go_command(tmp_path):
    """The go command downloads the zip from a file GOPROXY and reports the h1 it computed: ours must agree."""
    prefix = "golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64/"
    files = {"bin/go": b"\x7fELF...", "VERSION": b"go1.99.0\n", "src/_go.mod": b"module std\n", "lib/x.txt": b"x"}
    vdir = tmp_path / "proxy" / "golang.org" / "toolchain" / "@v"
    vdir.mkdir(parents=True)
    (vdir / "v0.0.1-go1.99.0.linux-amd64.zip").write_bytes(module_zip(files).getvalue())
    (vdir / "v0.0.1-go1.99.0.linux-amd64.mod").write_text("module golang.org/toolchain\n")
    (vdir / "v0.0.1-go1.99.0.linux-amd64.info").write_text('{"Version": "v0.0.1-go1.99.0.linux-amd64"}')
    env = dict(os.environ, GOPROXY="file://%s" % (tmp_path / "proxy"), GOSUMDB="off", GOFLAGS="-modcacherw",
               GOMODCACHE=str(tmp_path / "mod"), GONOSUMDB="", GOPRIVATE="", GOTOOLCHAIN="local")
    out = subprocess.run([GO, "mod", "download", "-json", prefix[:-1]], env=env, cwd=str(tmp_path),
                         stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
    with zipfile.ZipFile(module_zip(files)) as zf:
        assert helper.module_h1(zf) == json.loads(out)["Sum"]


def make_tar(path, version="1.99.0"):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {"go/VERSION": ("go%s\n" % version).encode(), "go/bin/go": b"#!/bin/sh\n"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))


def test_install_refuses_a_wrong_checksum_and_leaves_nothing(tmp_path, capsys):
    archive = tmp_path / "go1.99.0.linux-amd64.tar.gz"
    make_tar(str(archive))
    root = tmp_path / "root"
    root.mkdir()
    rc = helper.main(["install", "--src", str(archive), "--checksum", "sha256:" + "0" * 64, "--version", "1.99.0",
                      "--arch", "amd64", "--root", str(root)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["failed"] is True
    assert out["msg"].startswith("checksum mismatch for go1.99.0.linux-amd64.tar.gz: expected sha256:" + "0" * 64)
    assert os.listdir(str(root)) == []


def test_install_refuses_an_archive_that_is_not_go(tmp_path, capsys):
    """The archive unpacks, but bin/go does not report the version: nothing is moved into place."""
    archive = tmp_path / "go1.99.0.linux-amd64.tar.gz"
    make_tar(str(archive))
    root = tmp_path / "root"
    root.mkdir()
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    rc = helper.main(["install", "--src", str(archive), "--checksum", digest, "--version", "1.99.0",
                      "--arch", "amd64", "--root", str(root)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and "does not hold Go 1.99.0 for linux/amd64" in out["msg"]
    assert os.listdir(str(root)) == []


def test_zip_with_a_path_outside_the_module_is_refused(tmp_path, capsys):
    path = tmp_path / "m.zip"
    with zipfile.ZipFile(str(path), "w") as zf:
        zf.writestr("golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64/bin/go", b"x")
        zf.writestr("evil/../../etc/passwd", b"x")
    rc = helper.main(["verify", "--src", str(path), "--format", "zip",
                      "--module-prefix", "golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64/"])
    assert rc == 1 and "is outside" in json.loads(capsys.readouterr().out)["msg"]


def test_probe_reports_damage(tmp_path, capsys):
    root = tmp_path / "root"
    goroot = root / "go1.99.0"
    (goroot / "bin").mkdir(parents=True)
    (goroot / "bin" / "go").write_bytes(b"12345")
    marker = {"version": "1.99.0", "arch": "amd64", "sha256": "ab", "key_files": {"bin/go": 5, "bin/gofmt": 3}}
    (goroot / helper.MARKER).write_text(json.dumps(marker))
    (root / ".go1.98.0.tmp-x").mkdir()
    assert helper.main(["probe", "--root", str(root), "--link", str(tmp_path / "nolink")]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["versions"]["1.99.0"]["intact"] is False
    assert state["versions"]["1.99.0"]["problems"] == ["bin/gofmt: size None, 3 when installed"]
    assert state["leftovers"] == [str(root / ".go1.98.0.tmp-x")]
    assert state["links"][str(tmp_path / "nolink")] == {"type": "absent", "target": None}


def test_link_replaces_only_links(tmp_path, capsys):
    dest = tmp_path / "go"
    assert helper.main(["link", "--pair", "%s=/a" % dest]) == 0
    assert os.readlink(str(dest)) == "/a"
    assert helper.main(["link", "--pair", "%s=/b" % dest, "--check"]) == 0
    assert os.readlink(str(dest)) == "/a"
    capsys.readouterr()
    assert helper.main(["link", "--pair", "%s=/b" % dest]) == 0
    assert os.readlink(str(dest)) == "/b"
    assert json.loads(capsys.readouterr().out)["links"] == [str(dest)]
    plain = tmp_path / "plain"
    plain.write_text("x")
    assert helper.main(["link", "--pair", "%s=/b" % plain]) == 1
    assert plain.read_text() == "x"


@pytest.fixture
def owner(monkeypatch):
    """What the helper creates belongs to root in the role; here to whoever runs the tests."""
    monkeypatch.setattr(helper, "OWNER", (os.getuid(), os.getgid()))
    return helper.OWNER


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_files_writes_removes_and_reports_only_differences(tmp_path, capsys, owner):
    facts = tmp_path / "etc" / "ansible" / "facts.d"
    fact, profile = facts / "go.fact", tmp_path / "profile.sh"
    profile.write_text("old")
    args = ["files", "--dir=%s" % facts, "--write=%s=%s" % (fact, b64('{"a": 1}')), "--absent=%s" % profile]
    assert helper.main(args + ["--check"]) == 0  # check mode: reported, nothing touched
    assert json.loads(capsys.readouterr().out) == {"changed": True, "files": [str(facts), str(profile), str(fact)]}
    assert not (tmp_path / "etc").exists() and profile.exists()
    assert helper.main(args) == 0
    assert json.loads(capsys.readouterr().out)["files"] == [str(facts), str(profile), str(fact)]
    assert fact.read_text() == '{"a": 1}' and not profile.exists()
    for path, mode in ((tmp_path / "etc", 0o755), (facts, 0o755), (fact, 0o644)):  # created parents too
        st = os.stat(str(path))
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (mode,) + owner
    assert sorted(os.listdir(str(facts))) == ["go.fact"]  # no temporary file left
    assert helper.main(args) == 0 and json.loads(capsys.readouterr().out) == {"changed": False, "files": []}
    os.chmod(str(fact), 0o600)  # same content, other mode: only the mode is fixed
    inode = os.stat(str(fact)).st_ino
    assert helper.main(args + ["--check"]) == 0 and json.loads(capsys.readouterr().out)["files"] == [str(fact)]
    assert helper.main(args) == 0 and json.loads(capsys.readouterr().out)["files"] == [str(fact)]
    assert os.stat(str(fact)).st_mode & 0o7777 == 0o644 and os.stat(str(fact)).st_ino == inode
    # new content: a new file renamed over the old one (a reader sees the old or the new, never half)
    assert helper.main(["files", "--write=%s=%s" % (fact, b64('{"a": 2}'))]) == 0
    assert fact.read_text() == '{"a": 2}' and os.stat(str(fact)).st_ino != inode


def test_files_refuses_directories_and_missing_parents(tmp_path, capsys, owner):
    (tmp_path / "d").mkdir()
    assert helper.main(["files", "--write=%s=%s" % (tmp_path / "d", b64("x"))]) == 1
    assert "is a directory" in json.loads(capsys.readouterr().out)["msg"]
    assert helper.main(["files", "--absent=%s" % (tmp_path / "d")]) == 1
    assert (tmp_path / "d").is_dir()
    capsys.readouterr()
    assert helper.main(["files", "--write=%s=%s" % (tmp_path / "no" / "f", b64("x"))]) == 1
    assert "cannot write" in json.loads(capsys.readouterr().out)["msg"]
    (tmp_path / "f").write_text("x")
    assert helper.main(["files", "--dir=%s" % (tmp_path / "f")]) == 1
    assert "is not a directory" in json.loads(capsys.readouterr().out)["msg"]


def test_link_then_files_in_one_call(tmp_path, capsys, owner):
    dest, fact = tmp_path / "go", tmp_path / "facts.d" / "go.fact"
    args = ["link", "--pair=%s=/a" % dest, "--dir=%s" % fact.parent, "--write=%s=%s" % (fact, b64("{}"))]
    assert helper.main(args + ["--check"]) == 0
    assert json.loads(capsys.readouterr().out) == {"changed": True, "links": [str(dest)],
                                                   "files": [str(fact.parent), str(fact)]}
    assert not os.path.lexists(str(dest)) and not fact.parent.exists()
    assert helper.main(args) == 0
    assert os.readlink(str(dest)) == "/a" and fact.read_text() == "{}"
    capsys.readouterr()
    assert helper.main(args) == 0
    assert json.loads(capsys.readouterr().out) == {"changed": False, "links": [], "files": []}
    plain = tmp_path / "plain"
    plain.write_text("x")  # a failing link: the files are not written either
    other = tmp_path / "other.fact"
    assert helper.main(["link", "--pair=%s=/b" % plain, "--write=%s=%s" % (other, b64("{}"))]) == 1
    assert not other.exists()


def test_probe_reports_the_root_and_install_creates_it(tmp_path, capsys, owner):
    root = tmp_path / "lib" / "go"
    assert helper.main(["probe", "--root", str(root)]) == 0
    assert json.loads(capsys.readouterr().out)["root_state"] == {"type": "absent", "mode": None, "uid": None,
                                                                 "gid": None}
    archive = tmp_path / "go1.99.0.linux-amd64.tar.gz"
    make_tar(str(archive))
    helper.main(["install", "--src", str(archive), "--checksum", "sha256:" + "0" * 64, "--version", "1.99.0",
                 "--arch", "amd64", "--root", str(root)])  # refused, but the root exists as the file task made it
    capsys.readouterr()
    assert os.listdir(str(root)) == []
    assert helper.main(["probe", "--root", str(root)]) == 0
    assert json.loads(capsys.readouterr().out)["root_state"] == {"type": "directory", "mode": "0755",
                                                                 "uid": owner[0], "gid": owner[1]}


@pytest.mark.parametrize("src,version,want", [
    ("/usr/local/lib/go/.go1.25.4.go1.25.4.linux-amd64.tar.gz.part", "1.25.4", "go1.25.4.linux-amd64.tar.gz"),
    ("/usr/local/lib/go/.go1.25.4.go1.25.4.src.tar.gz.part", "1.25.4", "go1.25.4.src.tar.gz"),
    ("https://go.dev/dl/go1.25.4.linux-amd64.tar.gz", "1.25.4", "go1.25.4.linux-amd64.tar.gz"),
    ("/srv/go-dl/go1.25.4.linux-amd64.tar.gz", "1.25.4", "go1.25.4.linux-amd64.tar.gz"),
    # another version's staging name, or a bare prefix, is not rewritten
    ("/r/.go1.26.6.go1.25.4.linux-amd64.tar.gz.part", "1.25.4", ".go1.26.6.go1.25.4.linux-amd64.tar.gz.part"),
    ("/r/.go1.25.4..part", "1.25.4", ".go1.25.4..part"),
])
def test_archive_name_undoes_the_staging_name(src, version, want):
    # The marker records the archive's own name, not the name the role staged the copy under.
    assert helper.archive_name(src, version) == want
