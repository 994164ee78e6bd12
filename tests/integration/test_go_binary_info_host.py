# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.go_binary_info on a c-shared library built here with Go, whole and cut short by several amounts,
through `ansible`, against what `go version -m` says of the same files.

Run with `make unit` (or `pytest tests/integration`); needs the venv's `ansible`, `make collection`, Go and gcc.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

import pytest

import adhoc

GO = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)

LIB_GO = """package main

import "C"

//export Add
func Add(a, b C.int) C.int { return a + b }

func main() {}
"""
# Bytes cut off the end: inside the last section header (1, 8, 24, 63), a whole header (64), the whole table and
# more (the .shstrtab section, which precedes it), half the file.
CUTS = [1, 8, 24, 63, 64, 65, 4096]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    if GO is None:
        pytest.skip("no Go toolchain on this machine to build a c-shared library with")
    if shutil.which("gcc") is None:
        pytest.skip("no gcc: -buildmode=c-shared needs a C toolchain")
    root = tmp_path_factory.mktemp("cshared")
    src = root / "src"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/cshared\n\ngo 1.21\n")
    (src / "lib.go").write_text(LIB_GO)
    out = root / "libs"
    out.mkdir()
    built = root / "libwhole.so"  # with libwhole.h next to it
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", CGO_ENABLED="1")
    subprocess.run([GO, "build", "-buildmode=c-shared", "-buildvcs=false", "-o", str(built), "."], cwd=str(src),
                   env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    data = built.read_bytes()
    (out / "libwhole.so").write_bytes(data)
    for cut in CUTS + [len(data) // 2]:
        (out / ("libcut%d.so" % cut)).write_bytes(data[:-cut])
    return out


def go_version_m(path):
    proc = subprocess.run([GO, "version", "-m", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    return proc.returncode, proc.stdout


def run_module(args):
    rc, result = adhoc.run_module("go_binary_info", args)
    assert rc == 0, result
    return result


def test_cshared_whole_and_cut_agree_with_go_version_m(library):
    result = run_module({"paths": [str(library)]})
    assert result["errors"] == []
    good = {os.path.basename(b["path"]): b for b in result["binaries"]}
    bad = {os.path.basename(n["path"]): n["reason"] for n in result["not_go"]}
    names = sorted(os.listdir(str(library)))
    assert len(names) == len(CUTS) + 2 and sorted(list(good) + list(bad)) == names
    for name in names:
        rc, out = go_version_m(str(library / name))
        if rc == 0:
            assert name in good, (name, bad.get(name), out)
            assert out.splitlines()[0].endswith(": " + good[name]["go_version"]), out
        else:
            assert name in bad, (name, good.get(name), out)
            assert "truncated" in bad[name] or "cut off" in bad[name], bad[name]
    # the whole library is read like `go version -m` reads it; every cut copy is refused by both
    assert list(good) == ["libwhole.so"], sorted(good)
    assert good["libwhole.so"]["package"] == "example.com/cshared"
    assert bad["libcut1.so"] == ("truncated ELF file (the section header table ends at byte %d, past the end of the "
                                 "file at %d)" % (os.path.getsize(str(library / "libwhole.so")),
                                                  os.path.getsize(str(library / "libwhole.so")) - 1))
