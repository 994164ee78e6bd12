"""Athens for the tests, from the upstream source snapshots in ``shared/vendor/athens/`` (see its README).

The module proxy of the CI machines refuses ``github.com/gomods/athens`` itself (every dependency is served). The
snapshot directory next to the checkout holds ``athens-<tag>-src.tar.gz``; this serves one as the module
``github.com/gomods/athens@<tag>`` from a file-layout GOPROXY directory (``github.com/gomods/athens/@v/`` with
``list``, ``<tag>.info``, ``<tag>.mod`` and ``<tag>.zip``, the zip made by Go's module zip rules), so a ``go get``
with ``GOPROXY=file://<dir>,<the machine's proxy>`` and ``GONOSUMDB=github.com/gomods/athens`` (the snapshot's
hash is not the public one) builds it with ``github.com/gomods/athens <tag>`` in its build info.

    python3 tests/support/athens_src.py proxy v0.18.0   # make the GOPROXY directory (cached in .cache/athens)
    python3 tests/support/athens_src.py build v0.18.0   # also build cmd/proxy on this machine (cached by version)

Each prints one JSON line: {"version", "goproxy_dir", "goproxy", "gonosumdb"} (+ "binary" for build), where
``goproxy`` is the chain to build with (the directory ahead of ``go env GOPROXY``, read at run time). Without a
snapshot it prints {"version", "unavailable": <why>} and writes the same reason to .cache/athens/unavailable.txt
(when the machine's module proxy serves Athens, ``goproxy_dir`` is empty and ``goproxy`` is the machine's chain).

The snapshot directory: $GOHOST_VENDOR_DIR/athens when that is set, else ``<checkout>/../shared/vendor/athens``,
else, in a git worktree, ``<main checkout>/../shared/vendor/athens``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import go_build  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = "github.com/gomods/athens"
PACKAGE = MODULE + "/cmd/proxy"
VERSION_RE = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+$")
# Directories Go leaves out of a module zip (golang.org/x/mod/zip: version control metadata).
VCS_DIRS = {".bzr", ".git", ".hg", ".svn"}
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def vendor_candidates(root: str = ROOT) -> list[str]:
    """Where the Athens snapshots may be, in order (see the module docstring)."""
    out = []
    if os.environ.get("GOHOST_VENDOR_DIR"):
        out.append(os.path.join(os.environ["GOHOST_VENDOR_DIR"], "athens"))
    top = _git("rev-parse", "--show-toplevel") if root == ROOT else ""
    for base in [top or root, root]:
        out.append(os.path.normpath(os.path.join(base, "..", "shared", "vendor", "athens")))
    common = _git("rev-parse", "--path-format=absolute", "--git-common-dir") if root == ROOT else ""
    if common:  # a worktree: the main checkout is the common git directory's parent
        out.append(os.path.normpath(os.path.join(os.path.dirname(common), "..", "shared", "vendor", "athens")))
    return list(dict.fromkeys(out))


def find_snapshot(version: str, root: str = ROOT) -> str | None:
    for directory in vendor_candidates(root):
        path = os.path.join(directory, "athens-%s-src.tar.gz" % version)
        if os.path.isfile(path):
            return path
    return None


def _vendored(rel: str) -> bool:
    """A file of a vendored package (golang.org/x/mod/zip's isVendoredPackage): below a subdirectory of a vendor
    directory; vendor/modules.txt and other files directly in vendor/ stay in the zip."""
    if rel.startswith("vendor/"):
        rest = rel[len("vendor/"):]
    elif "/vendor/" in rel:
        rest = rel[rel.index("/vendor/") + len("/vendor/"):]
    else:
        return False
    return "/" in rest


def _excluded(rel: str, nested_modules: list[str]) -> bool:
    if any(p in VCS_DIRS for p in rel.split("/")[:-1]) or _vendored(rel):
        return True
    return any(rel.startswith(m + "/") for m in nested_modules)


def module_files(tar: tarfile.TarFile, top: str) -> list[tuple[str, tarfile.TarInfo]]:
    """(path in the module, member) of every file Go puts in the module zip: regular files only (no symlinks),
    nothing under a VCS directory, in a vendored package or in a nested module (a subdirectory with its own
    go.mod)."""
    files = []
    for member in tar.getmembers():
        name = member.name.lstrip("./")
        if not name.startswith(top + "/") or not member.isreg():
            continue
        files.append((name[len(top) + 1:], member))
    nested = [rel.rsplit("/", 1)[0] for rel, _m in files if rel.endswith("/go.mod")]
    kept = [(rel, m) for rel, m in files if not _excluded(rel, nested)]
    folded = {}
    for rel, _m in kept:
        if rel.lower() in folded:
            raise ValueError("%s and %s differ only in case (not allowed in a module zip)" % (folded[rel.lower()], rel))
        folded[rel.lower()] = rel
    return sorted(kept, key=lambda item: item[0])


def write_module(snapshot: str, version: str, goproxy_dir: str) -> str:
    """Write <goproxy_dir>/github.com/gomods/athens/@v/<version>.{info,mod,zip} and the list from the snapshot
    (the zip again only when the snapshot changed). Returns the @v directory."""
    at_v = os.path.join(goproxy_dir, *MODULE.split("/"), "@v")
    os.makedirs(at_v, exist_ok=True)
    stamp = hashlib.sha256(open(snapshot, "rb").read()).hexdigest()
    zip_path = os.path.join(at_v, version + ".zip")
    stamp_path = zip_path + ".source-sha256"
    try:
        fresh = open(stamp_path, encoding="utf-8").read().strip() != stamp or not os.path.isfile(zip_path)
    except OSError:
        fresh = True
    if fresh:
        top = "athens-" + version
        prefix = "%s@%s/" % (MODULE, version)
        with tarfile.open(snapshot) as tar:
            files = module_files(tar, top)
            names = [rel for rel, _m in files]
            if "go.mod" not in names:
                raise ValueError("%s has no %s/go.mod" % (snapshot, top))
            gomod = tar.extractfile(dict(files)["go.mod"]).read()
            if not re.search(rb"(?m)^module\s+" + re.escape(MODULE.encode()) + rb"\s*$", gomod):
                raise ValueError("%s: %s/go.mod does not declare module %s" % (snapshot, top, MODULE))
            with zipfile.ZipFile(zip_path + ".tmp", "w", zipfile.ZIP_DEFLATED) as out:
                for rel, member in files:
                    info = zipfile.ZipInfo(prefix + rel, ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    out.writestr(info, tar.extractfile(member).read())
            mtime = max(m.mtime for _rel, m in files)
        with open(os.path.join(at_v, version + ".mod"), "wb") as fh:
            fh.write(gomod)
        with open(os.path.join(at_v, version + ".info"), "w", encoding="utf-8") as fh:
            when = datetime.fromtimestamp(mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            json.dump({"Version": version, "Time": when}, fh)
        os.replace(zip_path + ".tmp", zip_path)
        with open(stamp_path, "w", encoding="utf-8") as fh:
            fh.write(stamp + "\n")
    versions = sorted(f[:-4] for f in os.listdir(at_v) if f.endswith(".zip") and VERSION_RE.match(f[:-4]))
    with open(os.path.join(at_v, "list"), "w", encoding="utf-8") as fh:
        fh.write("".join(v + "\n" for v in versions))
    return at_v


def go_env(name: str) -> str:
    return subprocess.run(["go", "env", name], capture_output=True, text=True, check=True).stdout.strip()


def redact(text: str, chain: str) -> str:
    """The machine's proxy addresses replaced by $GOPROXY (never written into a file)."""
    for proxy in re.split(r"[,|]", chain):
        if proxy.startswith("http"):
            text = text.replace(proxy, "$GOPROXY")
    return text


def build_env(goproxy: str) -> dict:
    env = dict(os.environ)
    nosum = [p for p in go_env("GONOSUMDB").split(",") if p] + [MODULE]
    env.update({"GOPROXY": goproxy, "GONOSUMDB": ",".join(dict.fromkeys(nosum)), "CGO_ENABLED": "0",
                "GOFLAGS": (go_env("GOFLAGS") + " -mod=mod").strip(), "GOTOOLCHAIN": "local"})
    return env


def build(version: str, goproxy: str, binary: str) -> None:
    """go get + go build of cmd/proxy@version in a throwaway module (go_build.py, the tests' one build path), with
    the snapshot's GOPROXY chain; the machine's proxy address never reaches an error message."""
    try:
        if not go_build.build(PACKAGE, MODULE, version, binary, env=build_env(goproxy)):
            log("athens: %s is there, built from %s@%s" % (binary, MODULE, version))
    except RuntimeError as exc:
        raise RuntimeError(redact(str(exc), goproxy)) from None


def probe_upstream(version: str, chain: str) -> str | None:
    """None when the machine's module proxy serves github.com/gomods/athens@version, else why not."""
    with tempfile.TemporaryDirectory(prefix="athens-probe.") as work:
        env = dict(os.environ, GOPROXY=chain, GOFLAGS="-mod=mod", GOMODCACHE=os.path.join(work, "mod"))
        done = subprocess.run(["go", "mod", "download", "-json", "%s@%s" % (MODULE, version)], cwd=work, env=env,
                              capture_output=True, text=True, check=False)
        subprocess.run(["chmod", "-R", "u+w", work], check=False)
    if done.returncode == 0:
        return None
    detail = (done.stdout + done.stderr).strip()
    try:
        detail = json.loads(done.stdout).get("Error") or detail
    except ValueError:
        pass
    return "go mod download %s@%s failed: %s" % (MODULE, version, redact(detail, chain))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("action", choices=["proxy", "build"])
    parser.add_argument("version")
    parser.add_argument("--cache", default=os.path.join(ROOT, ".cache", "athens"))
    args = parser.parse_args(argv)
    if not VERSION_RE.match(args.version):
        parser.error("version must look like v0.18.0, got %r" % args.version)
    os.makedirs(args.cache, exist_ok=True)
    why_path = os.path.join(args.cache, "unavailable.txt")
    if os.path.exists(why_path):
        os.remove(why_path)
    chain = go_env("GOPROXY")
    result = {"version": args.version, "gonosumdb": MODULE}
    snapshot = find_snapshot(args.version)
    goproxy_dir = os.path.join(args.cache, "goproxy")
    if snapshot:
        write_module(snapshot, args.version, goproxy_dir)
        result.update(goproxy_dir=goproxy_dir, goproxy="file://%s,%s" % (goproxy_dir, chain))
        log("athens: serving %s as %s@%s from %s" % (snapshot, MODULE, args.version, goproxy_dir))
    else:
        shutil.rmtree(goproxy_dir, ignore_errors=True)  # nothing stale for the scenario to find
        why = probe_upstream(args.version, chain)
        if why:
            why = "no athens-%s-src.tar.gz in %s, and %s" % (args.version, " or ".join(vendor_candidates()), why)
            with open(why_path, "w", encoding="utf-8") as fh:
                fh.write(why + "\n")
            result["unavailable"] = why
            print(json.dumps(result))
            return 0
        result.update(goproxy_dir="", goproxy=chain)
    if args.action == "build":
        result["binary"] = os.path.join(args.cache, "bin", "athens-" + args.version)
        try:
            build(args.version, result["goproxy"], result["binary"])
        except RuntimeError as exc:
            del result["binary"]
            result["unavailable"] = "the build failed: %s" % exc
            print(json.dumps(result))
            return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
