# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_binary_info: compared with `go version -m` on real executables built here, plus synthetic and broken files.

Real executables are built by a session fixture with the machine's Go (`go` on PATH or /usr/local/go/bin/go); the
tests that need them are skipped, saying why, when there is no Go. The module itself never runs a command.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import struct
import subprocess

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _go_buildinfo as gb
from ansible_collections.noble.gohost.plugins.modules import go_binary_info

from .utils import run_module, set_module_args

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "go_binaries")
GO = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
needs_go = pytest.mark.skipif(GO is None, reason="no Go toolchain on this machine to build real executables with")

MAIN_GO = """package main

import (
    "fmt"

    "example.com/dep"
)

var version = "dev"

func main() { fmt.Println(version, dep.Answer()) }
"""
CGO_GO = """package main

/*
int twice(int x) { return 2 * x; }
*/
import "C"

import "fmt"

func main() { fmt.Println(int(C.twice(21))) }
"""


def go_version_m(path):
    """(version, lines) as `go version -m` prints them."""
    out = subprocess.run([GO, "version", "-m", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout.splitlines()
    head = out[0]
    assert head.startswith(path + ": "), head
    return head[len(path) + 2:], [line[1:] for line in out[1:]]


def build(workdir, out, env_extra, *args):
    # The user's build cache is kept (GOCACHE unset): a fresh one would rebuild the standard library per target.
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOPROXY="off")
    env.update(env_extra)
    subprocess.run([GO, "build", "-o", out] + list(args) + ["."], cwd=workdir, env=env, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return out


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Executables with known settings: {name: path}."""
    if GO is None:
        pytest.skip("no Go toolchain on this machine to build real executables with")
    root = tmp_path_factory.mktemp("gobuild")
    app = root / "app"
    (app / "dep").mkdir(parents=True)
    (app / "go.mod").write_text("module example.com/app\n\ngo 1.21\n\nrequire example.com/dep v0.1.0\n\n"
                                "replace example.com/dep => ./dep\n")
    (app / "main.go").write_text(MAIN_GO)
    (app / "dep" / "go.mod").write_text("module example.com/dep\n\ngo 1.21\n")
    (app / "dep" / "dep.go").write_text("package dep\n\nfunc Answer() int { return 42 }\n")
    out = {}
    workdir = str(app)
    out["trim_ldflags_amd64"] = build(workdir, str(root / "trim_ldflags_amd64"),
                                      {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64", "GOAMD64": "v1"},
                                      "-trimpath", "-buildvcs=false", "-ldflags=-X main.version=1.2.3")
    # 32-bit and big-endian layouts are covered by the synthetic executables below (cheaper than more builds).
    out["arm64"] = build(workdir, str(root / "arm64"), {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm64"},
                         "-buildvcs=false", "-ldflags=-s -w -X main.version=1.2.3")
    if shutil.which("git"):
        genv = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
                    GIT_COMMITTER_EMAIL="t@example.com")
        for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "init"]):
            subprocess.run(["git"] + cmd, cwd=workdir, env=genv, check=True)
        out["vcs"] = build(workdir, str(root / "vcs"), {"CGO_ENABLED": "0"}, "-buildvcs=true")
    if shutil.which("gcc"):
        cgo = root / "cgo"
        cgo.mkdir()
        (cgo / "go.mod").write_text("module example.com/cgo\n\ngo 1.21\n")
        (cgo / "main.go").write_text(CGO_GO)
        out["cgo"] = build(str(cgo), str(root / "cgo_bin"), {"CGO_ENABLED": "1"}, "-buildvcs=false")
    return out


def real_paths(built):
    paths = dict(built)
    goroot = subprocess.run([GO, "env", "GOROOT"], stdout=subprocess.PIPE, universal_newlines=True,
                            check=True).stdout.strip()
    paths["toolchain_go"] = os.path.join(goroot, "bin", "go")
    paths["toolchain_gofmt"] = os.path.join(goroot, "bin", "gofmt")
    return paths


def scan(args):
    with set_module_args(args):
        return run_module(go_binary_info.main)


@needs_go
def test_equals_go_version_m_on_real_executables(built):
    paths = real_paths(built)
    result = scan({"paths": sorted(paths.values()), "include_modinfo": True})
    by_path = {b["path"]: b for b in result["binaries"]}
    assert result["not_go"] == [] and result["errors"] == []
    for name, path in sorted(paths.items()):
        version, lines = go_version_m(path)
        got = by_path[path]
        assert got["go_version"] == version, name
        assert got["modinfo_lines"] == lines, name
        settings = dict(line.split("\t", 1)[1].split("=", 1) for line in lines if line.startswith("build\t"))
        assert set(got["settings"]) == set(settings), name
        deps = [line.split("\t") for line in lines if line.startswith("dep\t")]
        assert [d["path"] for d in got["deps"]] == [d[1] for d in deps], name


@needs_go
def test_known_build_settings(built):
    result = scan({"paths": [built["trim_ldflags_amd64"], built["arm64"]]})
    amd64, arm64 = result["binaries"]
    assert amd64["trimpath"] is True
    assert amd64["ldflags"] is None  # the go command leaves -ldflags out with -trimpath (it may hold paths)
    assert (amd64["cgo_enabled"], amd64["goarch"], amd64["goamd64"], amd64["goos"]) == ("0", "amd64", "v1", "linux")
    assert amd64["package"] == "example.com/app"
    assert amd64["main_module"]["path"] == "example.com/app"
    assert amd64["deps"] == [{"path": "example.com/dep", "version": "v0.1.0", "sum": "",
                              "replace": {"path": "./dep", "version": "(devel)", "sum": ""}}]
    assert (arm64["goarch"], arm64["trimpath"]) == ("arm64", False)
    assert arm64["ldflags"] == "-s -w -X main.version=1.2.3"  # unquoted from -ldflags="-s -w ..."
    assert all(b["go_version"].startswith("go1.") for b in (amd64, arm64))


@needs_go
def test_vcs_and_cgo(built):
    if "vcs" not in built or "cgo" not in built:
        pytest.skip("git or gcc missing: cannot build the vcs and cgo executables")
    vcs, cgo = scan({"paths": [built["vcs"], built["cgo"]]})["binaries"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=os.path.dirname(built["trim_ldflags_amd64"]) + "/app",
                          stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.strip()
    assert vcs["vcs"]["system"] == "git" and vcs["vcs"]["revision"] == head
    assert vcs["vcs"]["modified"] == "false"
    assert cgo["cgo_enabled"] == "1"
    assert "CGO_CFLAGS" in cgo["settings"]


@needs_go
def test_min_go_version_and_include_deps(built):
    path = built["trim_ldflags_amd64"]
    version = go_version_m(path)[0]  # e.g. go1.26.8
    major, minor = gb.version_key(version)[:2]
    newer = "%d.%d" % (major, minor + 1)
    result = scan({"paths": [path], "min_go_version": newer, "include_deps": False})
    assert result["outdated"] == [path]
    assert result["binaries"][0]["outdated"] is True and result["binaries"][0]["deps"] == []
    assert "modinfo_lines" not in result["binaries"][0]
    result = scan({"paths": [path], "min_go_version": version[2:]})
    assert result["outdated"] == [] and result["binaries"][0]["outdated"] is False


@needs_go
def test_section_table_stripped(built, tmp_path):
    """sstrip-like: no section table, the block is found in the writable segment."""
    data = bytearray(open(built["trim_ldflags_amd64"], "rb").read())
    struct.pack_into("<Q", data, 0x28, 0)  # e_shoff
    struct.pack_into("<HH", data, 0x3C, 0, 0)  # e_shnum, e_shstrndx
    path = tmp_path / "nosections"
    path.write_bytes(bytes(data))
    got = scan({"paths": [str(path)]})
    assert got["not_go"] == []
    assert got["binaries"][0]["go_version"] == go_version_m(built["trim_ldflags_amd64"])[0]


@needs_go
def test_truncated_real_binary(built, tmp_path):
    data = open(built["arm64"], "rb").read()
    path = tmp_path / "half"
    path.write_bytes(data[: len(data) // 2])
    result = scan({"paths": [str(path)]})
    assert result["binaries"] == []
    assert "truncated" in result["not_go"][0]["reason"] or "cut off" in result["not_go"][0]["reason"]


def test_fixtures_are_not_go():
    result = scan({"paths": [FIXTURES]})
    reasons = {os.path.basename(n["path"]): n["reason"] for n in result["not_go"]}
    assert reasons["script.sh"] == "not an ELF executable"
    assert reasons["README.md"] == "not an ELF executable"
    assert reasons["empty.bin"] == "empty file"
    assert "truncated" in reasons["truncated-go-head.bin"]
    assert reasons["elf-no-headers.bin"] == "ELF without Go build information (not built by the Go toolchain)"
    assert result["binaries"] == [] and result["errors"] == []
    assert result["scanned"] == 5 and result["changed"] is False


def test_missing_path_is_an_error_not_a_failure(tmp_path):
    result = scan({"paths": [str(tmp_path / "missing")]})
    assert result["errors"] == [{"path": str(tmp_path / "missing"), "msg": "No such file or directory"}]


def test_bad_min_go_version_fails():
    with set_module_args({"paths": [FIXTURES], "min_go_version": "latest"}):
        failure = run_module(go_binary_info.main, expect_fail=True)
    assert "min_go_version" in failure["msg"]


def test_directory_scan_recurse_and_symlinks(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(os.path.join(FIXTURES, "script.sh"), str(tmp_path / "a.sh"))
    shutil.copy(os.path.join(FIXTURES, "empty.bin"), str(sub / "b.bin"))
    os.symlink(str(tmp_path / "a.sh"), str(tmp_path / "link.sh"))
    flat = scan({"paths": [str(tmp_path)]})
    assert [os.path.basename(n["path"]) for n in flat["not_go"]] == ["a.sh"]
    deep = scan({"paths": [str(tmp_path)], "recurse": True, "follow": True})
    assert sorted(os.path.basename(n["path"]) for n in deep["not_go"]) == ["a.sh", "b.bin"]  # link.sh: same file


# --- synthetic executables: the pointer format of Go before 1.18, both byte orders, 32 and 64 bits ------------

MODINFO = ("path\texample.com/old\nmod\texample.com/old\tv1.0.0\th1:abc=\ndep\tgolang.org/x/sys\tv0.1.0\th1:def=\n"
           "=>\tgolang.org/x/sys\tv0.2.0\th1:ghi=\nbuild\t-ldflags=\"-X 'main.v=a\\tb'\"\n")


def synthetic_elf(version, modinfo, bits=64, big=False, inline=False):
    """An ELF with one writable PT_LOAD segment holding a .go.buildinfo block, and a section table."""
    e = ">" if big else "<"
    ptr = "Q" if bits == 64 else "I"
    psize = 8 if bits == 64 else 4
    ehsize, phsize, shsize = (64, 56, 64) if bits == 64 else (52, 32, 40)
    base = 0x500000
    seg_off = 0x1000
    sentinel = b"\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6"
    mod = sentinel + modinfo.encode() + sentinel if modinfo else b""
    flags = (1 if big else 0) | (2 if inline else 0)
    header = b"\xff Go buildinf:" + bytes([psize, flags])
    if inline:
        def varstr(raw):
            out, n = bytearray(), len(raw)
            while n >= 0x80:
                out.append(n & 0x7F | 0x80)
                n >>= 7
            out.append(n)
            return bytes(out) + raw
        block = header + b"\0" * 16 + varstr(version.encode()) + varstr(mod)
    else:
        # block at seg_off; string headers at +0x40; bytes at +0x80
        hdr_v, hdr_m = base + 0x40, base + 0x40 + 2 * psize
        data_v, data_m = base + 0x80, base + 0x80 + len(version)
        block = header + struct.pack(e + ptr + ptr, hdr_v, hdr_m)
        block = block.ljust(0x40, b"\0")
        block += struct.pack(e + ptr + ptr, data_v, len(version)) + struct.pack(e + ptr + ptr, data_m, len(mod))
        block = block.ljust(0x80, b"\0") + version.encode() + mod
    shstr = b"\0.go.buildinfo\0.shstrtab\0"
    shstr_off = seg_off + len(block)
    sh_off = (shstr_off + len(shstr) + 15) & ~15
    body = bytearray(sh_off + 3 * shsize)
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 2 if big else 1, 1]) + b"\0" * 9
    machine = 62 if bits == 64 else 3
    if bits == 64:
        body[0:64] = ident + struct.pack(e + "HHIQQQIHHHHHH", 2, machine, 1, base, ehsize, sh_off, 0, ehsize,
                                         phsize, 1, shsize, 3, 2)
        body[64:64 + 56] = struct.pack(e + "IIQQQQQQ", 1, 6, seg_off, base, base, len(block), len(block), 0x1000)
    else:
        body[0:52] = ident + struct.pack(e + "HHIIIIIHHHHHH", 2, machine, 1, base, ehsize, sh_off, 0, ehsize,
                                         phsize, 1, shsize, 3, 2)
        body[52:52 + 32] = struct.pack(e + "IIIIIIII", 1, seg_off, base, base, len(block), len(block), 6, 0x1000)
    body[seg_off:seg_off + len(block)] = block
    body[shstr_off:shstr_off + len(shstr)] = shstr
    sections = [(0, 0, 0, 0, 0), (1, 1, base, seg_off, len(block)), (15, 3, 0, shstr_off, len(shstr))]
    for i, (name, sh_type, addr, off, size) in enumerate(sections):
        fmt = e + ("IIQQQQIIQQ" if bits == 64 else "IIIIIIIIII")
        body[sh_off + i * shsize:sh_off + (i + 1) * shsize] = struct.pack(fmt, name, sh_type, 3 if sh_type == 1 else 0,
                                                                          addr, off, size, 0, 0, 1, 0)
    return bytes(body)


@pytest.mark.parametrize("bits,big,inline", [(64, False, False), (32, False, False), (64, True, False),
                                             (32, True, False), (64, False, True), (32, True, True)])
def test_synthetic_formats(tmp_path, bits, big, inline):
    path = tmp_path / "old"
    path.write_bytes(synthetic_elf("go1.16.15", MODINFO, bits=bits, big=big, inline=inline))
    result = scan({"paths": [str(path)], "min_go_version": "1.21", "include_modinfo": True})
    assert result["not_go"] == [], result["not_go"]
    got = result["binaries"][0]
    assert got["go_version"] == "go1.16.15" and got["outdated"] is True
    assert got["main_module"] == {"path": "example.com/old", "version": "v1.0.0", "sum": "h1:abc="}
    assert got["deps"] == [{"path": "golang.org/x/sys", "version": "v0.1.0", "sum": "h1:def=",
                            "replace": {"path": "golang.org/x/sys", "version": "v0.2.0", "sum": "h1:ghi="}}]
    assert got["ldflags"] == "-X 'main.v=a\tb'"
    assert got["modinfo_lines"] == MODINFO.splitlines()


def test_synthetic_without_modinfo(tmp_path):
    """Executables built outside module mode (GOPATH) carry a version but no module information."""
    path = tmp_path / "gopath"
    path.write_bytes(synthetic_elf("go1.15.2", ""))
    got = scan({"paths": [str(path)]})["binaries"][0]
    assert got["go_version"] == "go1.15.2" and got["main_module"] is None and got["deps"] == []


def test_pointer_outside_segments(tmp_path):
    data = bytearray(synthetic_elf("go1.16.15", MODINFO))
    pos = data.find(b"\xff Go buildinf:")
    struct.pack_into("<Q", data, pos + 16, 0xDEAD0000)
    path = tmp_path / "bad"
    path.write_bytes(bytes(data))
    assert scan({"paths": [str(path)]})["not_go"][0]["reason"] == "build information points outside the file's segments"


@pytest.mark.parametrize("text,want", [
    ('"plain"', "plain"),
    ('"-X \\"a b\\""', '-X "a b"'),
    ('"tab\\there\\n"', "tab\there\n"),
    ('"\\x41\\101\\u00e9\\U0001F600"', "AA\u00e9\U0001F600"),
    ('"\\xc3\\xa9"', "\u00e9"),
])
def test_go_unquote(text, want):
    assert gb.go_unquote(text) == want


@pytest.mark.parametrize("older,newer", [
    ("go1.21rc1", "go1.21.0"), ("go1.21beta1", "go1.21rc1"), ("1.9", "1.10"), ("go1.24.11", "go1.25"),
    ("go1.25.5", "go1.25.6"), ("go1.26.6 X:nocoverageredesign", "go1.26.7"),
])
def test_version_order(older, newer):
    assert gb.version_key(older) < gb.version_key(newer)


def test_version_key_of_devel():
    assert gb.version_key("devel go1.27-abcdef") is None
    assert gb.version_key("1.22") == gb.version_key("go1.22.0")


@pytest.mark.parametrize("bits", [64, 32])
@pytest.mark.parametrize("cut", [1, 8, 23])
def test_section_table_cut_short(tmp_path, bits, cut):
    """The section header table ends the file: cutting a few bytes leaves every field the reader used to look at
    (name, type, offset, size) intact, but `go version -m` (debug/elf reads each entry in full) refuses the file."""
    data = synthetic_elf("go1.22.1", MODINFO, bits=bits, inline=True)
    whole = tmp_path / "whole"
    whole.write_bytes(data)
    assert scan({"paths": [str(whole)]})["not_go"] == []
    path = tmp_path / "cut"
    path.write_bytes(data[:-cut])
    result = scan({"paths": [str(path)]})
    assert result["binaries"] == []
    assert result["not_go"][0]["reason"] == (
        "truncated ELF file (the section header table ends at byte %d, past the end of the file at %d)"
        % (len(data), len(data) - cut))


def test_section_entry_size_too_small(tmp_path):
    data = bytearray(synthetic_elf("go1.22.1", MODINFO, inline=True))
    struct.pack_into("<H", data, 0x3A, 32)  # e_shentsize of an ELF64 file
    path = tmp_path / "small"
    path.write_bytes(bytes(data))
    assert scan({"paths": [str(path)]})["not_go"][0]["reason"] == (
        "corrupt ELF file (section header entry size 32, want at least 64)")


def test_program_header_table_past_the_end(tmp_path):
    data = bytearray(synthetic_elf("go1.22.1", MODINFO, inline=True))
    struct.pack_into("<H", data, 0x38, 200)  # e_phnum: 200 entries of 56 bytes from offset 64
    path = tmp_path / "phdrs"
    path.write_bytes(bytes(data))
    assert scan({"paths": [str(path)]})["not_go"][0]["reason"] == (
        "truncated ELF file (the program header table ends at byte %d, past the end of the file at %d)"
        % (64 + 200 * 56, len(data)))
