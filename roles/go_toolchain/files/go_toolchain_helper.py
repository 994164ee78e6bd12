#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Target-side helper of the noble.gohost.go_toolchain role.

The role sends this file on stdin to the target's python3 (``python3 - <command> ...``): it is never left on the
host. Only the standard library is used.

Commands (each prints one JSON object on stdout; errors print {"failed": true, "msg": ...} and exit 1):

``probe``
    What is installed, cheaply: for every ``go*`` directory under ``--root``, its install marker and whether the key
    files still have the sizes recorded at install time (no archive is rehashed, no tree is listed); the targets of
    the given symlinks; the SHA-1 of the given managed files; which of the given Debian packages are installed; the
    machine's Go architecture; whether gccgo's libgo.so is on the C linker's search path; the root's type, mode and
    owner (so that the role creates it only when an install cannot).
``verify``
    Hash an archive (a path or a URL) without unpacking it: sha256 for tarballs, sha256 and the Go module ``h1:``
    hash for module zips. Read-only; used in check mode.
``install``
    Unpack one version into a temporary directory next to its final place while hashing the archive in the same
    pass, check the checksum, write go.env, check that ``bin/go version`` reports the expected version, write the
    marker last, then rename the directory into place. Any failure removes the temporary directory and leaves the
    previous installation untouched. A missing root is created (0755, root:root, as the role's file task would).
``link``
    Point symlinks at their targets (a new link renamed over the old one); with ``--dir``/``--write``/``--absent``
    it then does what ``files`` does, in the same call.
``files``
    Write the role's small managed files (the profile script, the local fact, go.env of installed versions) and
    remove the ones no longer wanted, in one call: each file is written to a temporary file next to it and renamed
    over it (0644, root:root), each ``--dir`` exists as a directory (0755, root:root); only what differs is touched.
    ``--check`` reports without changing anything.
``build``
    Build Go from a source tree (an archive or a git ref) with make.bash, bootstrapped by an installed Go, then
    install it like ``install`` does.
"""
from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile

MARKER = ".noble-gohost.json"
CHUNK = 1 << 20
ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "armv6l",
          "armv6l": "armv6l", "i686": "386", "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x",
          "riscv64": "riscv64", "loongarch64": "loong64"}
# Owner of what the helper creates (the role's file and copy tasks said owner/group root); tests override it.
OWNER = (0, 0)
KEY_FILES = ("VERSION", "bin/go", "bin/gofmt", "pkg/tool/linux_{arch}/compile", "pkg/tool/linux_{arch}/link",
             "pkg/tool/linux_{arch}/asm", "pkg/tool/linux_{arch}/cgo", "src/runtime/proc.go", "src/cmd/go/main.go")


class Failure(Exception):
    """A failure with a message meant for the operator."""


def go_arch():
    machine = platform.machine()
    return ARCHES.get(machine, machine)


def sha1_file(path):
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(CHUNK), b""):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def key_files(goroot, arch):
    """Sizes of the files whose presence and size identify a complete GOROOT."""
    sizes = {}
    for pattern in KEY_FILES:
        rel = pattern.format(arch=arch)
        try:
            sizes[rel] = os.stat(os.path.join(goroot, rel)).st_size
        except OSError:
            sizes[rel] = None
    return sizes


def read_marker(goroot):
    try:
        with open(os.path.join(goroot, MARKER), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def link_state(path):
    if os.path.islink(path):
        return {"type": "link", "target": os.readlink(path)}
    if os.path.isdir(path):
        return {"type": "directory", "target": None}
    if os.path.exists(path):
        return {"type": "file", "target": None}
    return {"type": "absent", "target": None}


def dpkg_installed(packages):
    if not packages:
        return {}
    found = dict.fromkeys(packages, False)
    try:
        proc = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Abbrev}\n"] + list(packages),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False, text=True)
    except OSError:
        return found
    for line in proc.stdout.splitlines():
        name, _sep, status = line.partition("\t")
        if name.split(":")[0] in found and status.startswith("ii"):
            found[name.split(":")[0]] = True
    return found


def libgo_on_linker_path():
    """gccgo's libgo.so where `gcc` finds it (a bare name means it is not on the search path), or None."""
    if shutil.which("gcc") is None:
        return None
    proc = subprocess.run(["gcc", "-print-file-name=libgo.so"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, check=False)
    found = proc.stdout.strip()
    return found if os.path.isabs(found) and os.path.exists(found) else None


def cmd_probe(args):
    arch = go_arch()
    versions = {}
    leftovers = []
    if os.path.isdir(args.root):
        for name in sorted(os.listdir(args.root)):
            path = os.path.join(args.root, name)
            if name.startswith(".go") and (".tmp-" in name or ".old-" in name or name.endswith(".part")):
                leftovers.append(path)
                continue
            if not name.startswith("go") or not os.path.isdir(path) or os.path.islink(path):
                continue
            marker = read_marker(path)
            problems = []
            if marker is None:
                problems.append("no install marker %s (unpacked by hand or interrupted)" % MARKER)
            else:
                now = key_files(path, marker.get("arch", arch))
                for rel, size in sorted(marker.get("key_files", {}).items()):
                    if now.get(rel) != size:
                        problems.append("%s: size %s, %s when installed" % (rel, now.get(rel), size))
            versions[name[2:]] = {
                "path": path,
                "marker": marker,
                "intact": not problems,
                "problems": problems,
                "goenv_sha1": sha1_file(os.path.join(path, "go.env")),
            }
    result = {
        "arch": arch,
        "root": args.root,
        "versions": versions,
        "leftovers": leftovers,
        "links": {path: link_state(path) for path in args.link},
        "files": {path: sha1_file(path) for path in args.file},
        "packages": dpkg_installed(args.package),
        "libgo": libgo_on_linker_path() if args.libgo else None,
        "root_state": path_state(args.root),
    }
    return result


def path_state(path):
    """Type (directory, file, absent), mode and owner of `path` (symlinks followed, as the file module does)."""
    try:
        st = os.stat(path)
    except OSError:
        return {"type": "absent", "mode": None, "uid": None, "gid": None}
    return {"type": "directory" if os.path.isdir(path) else "file", "mode": "%04o" % (st.st_mode & 0o7777),
            "uid": st.st_uid, "gid": st.st_gid}


def set_attrs(path, mode, st=None):
    """Give `path` `mode` and the owner OWNER where they differ; True when something changed."""
    st = st or os.stat(path)
    changed = False
    if (st.st_mode & 0o7777) != mode:
        os.chmod(path, mode)
        changed = True
    if (st.st_uid, st.st_gid) != OWNER:
        try:
            os.chown(path, *OWNER)
        except OSError as exc:
            raise Failure("cannot give %s the owner %s:%s: %s" % (path, OWNER[0], OWNER[1], exc))
        changed = True
    return changed


def ensure_dir(path, check=False):
    """`path` as a directory, 0755 and OWNER, its missing parents created the same way (as the file module's
    state=directory does); True when something changed (or, with `check`, would)."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        if check:
            return path_state(path) != {"type": "directory", "mode": "0755", "uid": OWNER[0], "gid": OWNER[1]}
        return set_attrs(path, 0o755)
    if os.path.lexists(path):
        raise Failure("%s exists and is not a directory; nothing was replaced" % path)
    if check:
        return True
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        ensure_dir(parent)
    try:
        os.mkdir(path, 0o755)
    except OSError as exc:
        raise Failure("cannot create %s: %s" % (path, exc))
    set_attrs(path, 0o755)
    return True


def write_file(path, content, check=False):
    """`path` holds `content` (bytes), 0644 and OWNER: written to a temporary file in the same directory and renamed
    over it (no reader sees half a file); True when something changed (or, with `check`, would)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not os.path.isdir(path):
        with open(path, "rb") as fh:
            same = fh.read(len(content) + 1) == content
        if same:
            if check:
                return (st.st_mode & 0o7777, st.st_uid, st.st_gid) != (0o644,) + OWNER
            return set_attrs(path, 0o644, st)
    if os.path.isdir(path):
        raise Failure("%s is a directory; nothing was replaced" % path)
    if check:
        return True
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s.tmp-" % os.path.basename(path))
    except OSError as exc:
        raise Failure("cannot write %s: %s" % (path, exc))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        set_attrs(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return True


def cmd_files(args):
    """Directories, then removals, then writes; reports each path that changed."""
    changed = []
    for path in args.dir:
        if ensure_dir(path, args.check):
            changed.append(path)
    for path in args.absent:
        if os.path.isdir(path) and not os.path.islink(path):
            raise Failure("%s is a directory; nothing was removed" % path)
        if os.path.lexists(path):
            changed.append(path)
            if not args.check:
                os.unlink(path)
    for spec in args.write:
        path, _sep, data = spec.partition("=")
        if not os.path.isabs(path):
            raise Failure("%s: an absolute path is needed" % path)
        if write_file(path, base64.b64decode(data), args.check):
            changed.append(path)
    return {"changed": bool(changed), "files": changed}


# --- archives ---------------------------------------------------------------------------------------------------

def open_source(src):
    if "://" in src:
        request = urllib.request.Request(src, headers={"User-Agent": "noble.gohost-go_toolchain"})
        try:
            return urllib.request.urlopen(request, timeout=60)  # noqa: S310 - operator-chosen URL
        except Exception as exc:  # pylint: disable=broad-except
            raise Failure("cannot download %s: %s" % (src, exc))
    try:
        return open(src, "rb")
    except OSError as exc:
        raise Failure("cannot read %s: %s" % (src, exc))


def module_h1(zf, sink=None):
    """The Go module hash (golang.org/x/mod/sumdb/dirhash Hash1) of an open module zip.

    With `sink(info)` returning a writable file (or None), each member is also written out in the same pass.
    """
    lines = []
    for info in zf.infolist():
        if info.is_dir():
            continue
        if "\n" in info.filename:
            raise Failure("module zip holds a file name with a newline: %r" % info.filename)
        digest = hashlib.sha256()
        out = sink(info) if sink else None
        try:
            with zf.open(info) as fh:
                for block in iter(lambda: fh.read(CHUNK), b""):
                    digest.update(block)
                    if out is not None:
                        out.write(block)
        finally:
            if out is not None:
                out.close()
        lines.append((info.filename, digest.hexdigest()))
    summary = hashlib.sha256()
    for name, hexdigest in sorted(lines):
        summary.update(("%s  %s\n" % (hexdigest, name)).encode("utf-8"))
    return "h1:" + base64.b64encode(summary.digest()).decode("ascii")


def archive_name(src, version):
    """The archive's own file name: the role stages a copied archive as .go<version>.<name>.part in the root."""
    name = os.path.basename(src.rstrip("/"))
    prefix = ".go%s." % version
    if name.startswith(prefix) and name.endswith(".part") and len(name) > len(prefix) + len(".part"):
        return name[len(prefix):-len(".part")]
    return name


def parse_checksum(checksum):
    """("sha256", hex) or ("h1", "h1:...") or (None, None)."""
    if not checksum:
        return None, None
    if checksum.startswith("h1:"):
        return "h1", checksum
    algo, _sep, value = checksum.partition(":")
    if not value:
        algo, value = "sha256", checksum
    if algo != "sha256":
        raise Failure("unsupported checksum algorithm %r (use sha256:<hex> or h1:<base64>)" % algo)
    return "sha256", value.lower()


def describe_mismatch(name, expected, got):
    return ("checksum mismatch for %s: expected %s, got %s; nothing was changed (previous installation and default "
            "kept)" % (name, expected, got))


def read_zip(src, dest_dir):
    """Copy a module zip to a file (zips need seeking), hashing it; return (path, sha256)."""
    digest = hashlib.sha256()
    if dest_dir is None:
        buf = io.BytesIO()
        with open_source(src) as fh:
            for block in iter(lambda: fh.read(CHUNK), b""):
                digest.update(block)
                buf.write(block)
        buf.seek(0)
        return buf, digest.hexdigest()
    fd, path = tempfile.mkstemp(dir=dest_dir, prefix=".go", suffix=".zip.part")
    with os.fdopen(fd, "wb") as out, open_source(src) as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
            out.write(block)
    return path, digest.hexdigest()


def check_zip(zf, expected_kind, expected, module_prefix, name, sink=None):
    for info in zf.infolist():
        if not info.filename.startswith(module_prefix):
            raise Failure("%s: %r is outside %s" % (name, info.filename, module_prefix))
    h1 = module_h1(zf, sink)
    if expected_kind == "h1" and h1 != expected:
        raise Failure(describe_mismatch(name, expected, h1))
    return h1


def cmd_verify(args):
    kind, expected = parse_checksum(args.checksum)
    name = archive_name(args.src, args.version)
    if args.format == "zip":
        buf, sha256 = read_zip(args.src, None)
        if kind == "sha256" and sha256 != expected:
            raise Failure(describe_mismatch(name, "sha256:" + expected, "sha256:" + sha256))
        with zipfile.ZipFile(buf) as zf:
            h1 = check_zip(zf, kind, expected, args.module_prefix, name)
        return {"changed": False, "sha256": sha256, "h1": h1, "verified": kind is not None}
    digest = hashlib.sha256()
    with open_source(args.src) as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    sha256 = digest.hexdigest()
    if kind == "h1":
        raise Failure("%s: an h1: hash only applies to module zips; give sha256:<hex>" % name)
    if kind == "sha256" and sha256 != expected:
        raise Failure(describe_mismatch(name, "sha256:" + expected, "sha256:" + sha256))
    return {"changed": False, "sha256": sha256, "h1": None, "verified": kind is not None}


def unpack_tar(src, dest):
    """Stream the archive into `tar -xzf -`, hashing it in the same pass; return the sha256."""
    digest = hashlib.sha256()
    tar = subprocess.Popen(["tar", "-xzf", "-", "-C", dest, "--strip-components=1", "--no-same-owner"],
                           stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    broken = False
    try:
        with open_source(src) as fh:
            for block in iter(lambda: fh.read(CHUNK), b""):
                digest.update(block)
                if not broken:
                    try:
                        tar.stdin.write(block)
                    except BrokenPipeError:
                        broken = True  # keep hashing: a checksum mismatch is the better message
    finally:
        try:
            tar.stdin.close()
        except BrokenPipeError:
            pass
        err = tar.stderr.read().decode("utf-8", "replace")
        rc = tar.wait()
    return digest.hexdigest(), rc, err


def zip_sink(dest, prefix):
    """A sink for module_h1 that unpacks a module zip below `dest` (the zip's files are then hashed and written in
    one pass; the caller removes `dest` when the hash does not match)."""
    def sink(info):
        rel = info.filename[len(prefix):]
        if not rel or rel.startswith("/") or ".." in rel.split("/"):
            raise Failure("unsafe path in module zip: %r" % info.filename)
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        # Module zips keep no file modes: programs are what the go command makes executable after a toolchain
        # download (cmd/go/internal/toolchain): bin/*, pkg/tool/*, lib/**/go_*_*_exec.
        executable = (rel.startswith("bin/") or rel.startswith("pkg/tool/")
                      or (rel.startswith("lib/") and fnmatch.fnmatch(os.path.basename(rel), "go_?*_?*_exec")))
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o755 if executable else 0o644)
        return os.fdopen(fd, "wb")
    return sink


def restore_go_mod(dest):
    """Module zips cannot hold a go.mod below the root: golang.org/toolchain stores them as _go.mod."""
    for dirpath, _dirs, files in os.walk(dest):
        if "_go.mod" in files and "go.mod" not in files:
            shutil.copyfile(os.path.join(dirpath, "_go.mod"), os.path.join(dirpath, "go.mod"))


def go_version_of(goroot):
    env = dict(os.environ, GOTOOLCHAIN="local", GOENV="off", GOFLAGS="")
    env.pop("GOROOT", None)
    try:
        proc = subprocess.run([os.path.join(goroot, "bin", "go"), "version"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, text=True, check=False, timeout=120)
    except OSError as exc:
        return "cannot run bin/go: %s" % exc
    return proc.stdout.strip()


def finish_install(args, tmp, identity):
    """go.env, version check, marker, rename into place. Removes `tmp` on failure."""
    if args.goenv is not None:
        with open(os.path.join(tmp, "go.env"), "w", encoding="utf-8") as fh:
            fh.write(base64.b64decode(args.goenv).decode("utf-8"))
    reported = go_version_of(tmp)
    expected = "go version go%s linux/%s" % (args.version, args.arch)
    if not reported.startswith(expected + " ") and reported != expected:
        raise Failure("%s does not hold Go %s for linux/%s: `go version` says %r; nothing was changed"
                      % (identity.get("archive"), args.version, args.arch, reported))
    marker = dict(identity, version=args.version, arch=args.arch, source=args.source,
                  key_files=key_files(tmp, args.arch))
    if any(size is None for size in marker["key_files"].values()):
        missing = sorted(k for k, v in marker["key_files"].items() if v is None)
        raise Failure("%s is not a complete Go distribution (missing %s); nothing was changed"
                      % (identity.get("archive"), ", ".join(missing)))
    with open(os.path.join(tmp, MARKER), "w", encoding="utf-8") as fh:
        json.dump(marker, fh, sort_keys=True, indent=1)
        fh.write("\n")
    os.chmod(tmp, 0o755)
    final = os.path.join(args.root, "go" + args.version)
    old = None
    if os.path.lexists(final):
        old = tempfile.mkdtemp(prefix=".go%s.old-" % args.version, dir=args.root)
        os.rename(final, os.path.join(old, "tree"))
    os.rename(tmp, final)
    if old:
        shutil.rmtree(old, ignore_errors=True)
    return {"changed": True, "version": args.version, "path": final, "marker": marker, "go_version": reported}


def cmd_install(args):
    if not os.path.isdir(args.root):
        ensure_dir(args.root)
    kind, expected = parse_checksum(args.checksum)
    name = archive_name(args.src, args.version)
    tmp = tempfile.mkdtemp(prefix=".go%s.tmp-" % args.version, dir=args.root)
    zip_path = None
    try:
        if args.format == "zip":
            zip_path, sha256 = read_zip(args.src, args.root)
            if kind == "sha256" and sha256 != expected:
                raise Failure(describe_mismatch(name, "sha256:" + expected, "sha256:" + sha256))
            with zipfile.ZipFile(zip_path) as zf:
                h1 = check_zip(zf, kind, expected, args.module_prefix, name, zip_sink(tmp, args.module_prefix))
            restore_go_mod(tmp)
            identity = {"archive": name, "sha256": sha256, "h1": h1}
        else:
            if kind == "h1":
                raise Failure("%s: an h1: hash only applies to module zips; give sha256:<hex>" % name)
            sha256, rc, err = unpack_tar(args.src, tmp)
            if kind == "sha256" and sha256 != expected:
                raise Failure(describe_mismatch(name, "sha256:" + expected, "sha256:" + sha256))
            if rc != 0:
                raise Failure("tar could not unpack %s (rc=%s): %s; nothing was changed" % (name, rc, err.strip()))
            identity = {"archive": name, "sha256": sha256, "h1": None}
        return finish_install(args, tmp, identity)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        if zip_path and os.path.exists(zip_path):
            os.unlink(zip_path)
        if args.remove_src and "://" not in args.src and os.path.exists(args.src):
            os.unlink(args.src)


def cmd_build(args):
    """Build from source with make.bash: args.src is a source archive (top directory go/) or a git URL#ref."""
    if not os.path.isdir(args.root):
        ensure_dir(args.root)
    bootstrap = args.bootstrap
    if not bootstrap or not os.path.exists(os.path.join(bootstrap, "bin", "go")):
        raise Failure("building Go %s from source needs an installed Go to bootstrap it: %r has no bin/go "
                      "(list a binary version first and set go_toolchain_bootstrap_version)" % (args.version, bootstrap))
    tmp = tempfile.mkdtemp(prefix=".go%s.tmp-" % args.version, dir=args.root)
    try:
        kind, expected = parse_checksum(args.checksum)
        if args.src.startswith("git+"):
            url, _sep, ref = args.src[4:].partition("#")
            run_or_fail(["git", "clone", "--quiet", "--depth", "1", "--branch", ref, url, tmp], "git clone")
            shutil.rmtree(os.path.join(tmp, ".git"), ignore_errors=True)
            identity = {"archive": args.src, "sha256": None, "h1": None}
            version_file = os.path.join(tmp, "VERSION")
            if not os.path.exists(version_file):
                with open(version_file, "w", encoding="utf-8") as fh:
                    fh.write("go%s\n" % args.version)
        else:
            sha256, rc, err = unpack_tar(args.src, tmp)
            name = archive_name(args.src, args.version)
            if kind == "sha256" and sha256 != expected:
                raise Failure(describe_mismatch(name, "sha256:" + expected, "sha256:" + sha256))
            if rc != 0:
                raise Failure("tar could not unpack %s (rc=%s): %s" % (name, rc, err.strip()))
            identity = {"archive": name, "sha256": sha256, "h1": None}
        env = dict(os.environ, GOROOT_BOOTSTRAP=bootstrap, GOTOOLCHAIN="local", GOENV="off", CGO_ENABLED="0")
        env.pop("GOROOT", None)
        run_or_fail(["./make.bash"], "make.bash", cwd=os.path.join(tmp, "src"), env=env)
        for junk in ("pkg/obj", "pkg/bootstrap"):
            shutil.rmtree(os.path.join(tmp, junk), ignore_errors=True)
        return finish_install(args, tmp, identity)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        if args.remove_src and os.path.isfile(args.src):
            os.unlink(args.src)


SELFTEST_SRC = """package main

/*
int twice(int x) { return 2 * x; }
*/
import "C"

import "fmt"

func main() { fmt.Println(int(C.twice(21))) }
"""
PURE_SRC = """package main

import "fmt"

func main() { fmt.Println(42) }
"""
ELF_MACHINES = {"amd64": 62, "arm64": 183, "386": 3, "arm": 40, "riscv64": 243, "ppc64le": 21, "s390x": 22}


def elf_machine(path):
    with open(path, "rb") as fh:
        head = fh.read(20)
    if head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")


def cmd_selftest(args):
    """Build with CGO_ENABLED=0 (and 1 when cgo is set up) for the host and the cross architectures."""
    cross = json.loads(args.cross_cc or "{}")
    host = go_arch()
    arches = [host] + sorted(a for a in cross if a != host)
    results = []
    work = tempfile.mkdtemp(prefix="go-toolchain-selftest-")
    try:
        for cgo in (["0", "1"] if args.cgo == "1" else ["0"]):
            src_dir = os.path.join(work, "cgo" + cgo)
            os.makedirs(src_dir)
            with open(os.path.join(src_dir, "main.go"), "w", encoding="utf-8") as fh:
                fh.write(SELFTEST_SRC if cgo == "1" else PURE_SRC)
            with open(os.path.join(src_dir, "go.mod"), "w", encoding="utf-8") as fh:
                fh.write("module selftest\n")
            for arch in arches:
                out = os.path.join(work, "bin-%s-%s" % (cgo, arch))
                env = dict(os.environ, CGO_ENABLED=cgo, GOOS="linux", GOARCH=arch, GOCACHE=os.path.join(work, "cache"),
                           GOPATH=os.path.join(work, "gopath"), GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
                if cgo == "1" and arch != host:
                    env["CC"] = cross[arch]
                run_or_fail([args.go, "build", "-o", out, "."], "go build CGO_ENABLED=%s GOARCH=%s" % (cgo, arch),
                            cwd=src_dir, env=env)
                machine = elf_machine(out)
                if machine != ELF_MACHINES.get(arch):
                    raise Failure("CGO_ENABLED=%s GOARCH=%s built an ELF for machine %s, expected %s"
                                  % (cgo, arch, machine, ELF_MACHINES.get(arch)))
                results.append({"cgo": cgo, "arch": arch, "e_machine": machine})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"changed": False, "builds": results}


def cmd_link(args):
    """Point each symlink (dest=target pairs) at its target: a new link is renamed over the old one (atomic)."""
    changed = []
    for pair in args.pair:
        dest, _sep, target = pair.partition("=")
        if os.path.islink(dest) and os.readlink(dest) == target:
            continue
        if os.path.lexists(dest) and not os.path.islink(dest):
            raise Failure("%s exists and is not a symlink; nothing was replaced" % dest)
        changed.append(dest)
        if args.check:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        tmp = "%s.tmp-%d" % (dest, os.getpid())
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(target, tmp)
        os.rename(tmp, dest)
    result = {"changed": bool(changed), "links": changed}
    if args.dir or args.absent or args.write:  # the role's managed files, after the links (see cmd_files)
        files = cmd_files(args)
        result.update(changed=result["changed"] or files["changed"], files=files["files"])
    return result


def run_or_fail(argv, what, **kwargs):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        raise Failure("%s failed (rc=%s): %s; nothing was changed" % (what, proc.returncode, proc.stdout[-2000:]))
    return proc.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(prog="go_toolchain_helper")
    sub = parser.add_subparsers(dest="command", required=True)
    probe = sub.add_parser("probe")
    probe.add_argument("--root", required=True)
    probe.add_argument("--link", action="append", default=[])
    probe.add_argument("--file", action="append", default=[])
    probe.add_argument("--package", action="append", default=[])
    probe.add_argument("--libgo", action="store_true")
    link = sub.add_parser("link")
    link.add_argument("--pair", action="append", default=[], help="DEST=TARGET")
    link.add_argument("--check", action="store_true")
    files = sub.add_parser("files")
    for cmd in (link, files):
        cmd.add_argument("--dir", action="append", default=[], help="a directory that must exist (0755, root)")
        cmd.add_argument("--absent", action="append", default=[], help="a file to remove")
        cmd.add_argument("--write", action="append", default=[], help="PATH=CONTENT_BASE64 (0644, root)")
    files.add_argument("--check", action="store_true")
    selftest = sub.add_parser("selftest")
    selftest.add_argument("--go", required=True)
    selftest.add_argument("--cross-cc", default="{}")
    selftest.add_argument("--cgo", default="0")
    for name in ("verify", "install", "build"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--src", required=True, help="archive path, URL, or (build) git+URL#ref")
        cmd.add_argument("--format", choices=("tar", "zip"), default="tar")
        cmd.add_argument("--checksum", default="")
        cmd.add_argument("--module-prefix", default="")
        cmd.add_argument("--version", default="")
        cmd.add_argument("--arch", default="")
        cmd.add_argument("--root", default="")
        cmd.add_argument("--source", default="tarball")
        cmd.add_argument("--goenv", default=None, help="go.env content, base64")
        cmd.add_argument("--bootstrap", default="")
        cmd.add_argument("--remove-src", action="store_true")
    args = parser.parse_args(argv)
    os.umask(0o022)  # what is installed must be readable by everyone, whatever the caller's umask
    try:
        result = {"probe": cmd_probe, "verify": cmd_verify, "install": cmd_install, "build": cmd_build,
                  "selftest": cmd_selftest, "link": cmd_link, "files": cmd_files}[args.command](args)
    except Failure as exc:
        print(json.dumps({"failed": True, "msg": str(exc)}))
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
