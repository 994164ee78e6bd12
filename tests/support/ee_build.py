"""`make ee` (tests/ee.sh): the example execution environment (examples/execution-environment/), built for real here.

The example is written for AWX with a UBI base, Galaxy and PyPI. This machine has none of those at build time, so
``tests/ee.sh`` derives a CI definition from it (``definition``): the same ansible-core, ansible-runner and
collection tarball, plus

* a Debian 12 base image made here with mmdebstrap from this machine's apt sources (``base``: ``gohost-ee/base:<hash
  of the recipe>``), and ``options.package_manager_path`` pointing at a dnf-shaped front end to apt-get
  (tests/ee/apt-dnf.sh), since ansible-builder's scripts call ``$PKGMGR install -y ...`` and ``$PKGMGR clean all``;
* the collections noble.gohost depends on (and community.docker, the EE's connection to the test container) as
  tarballs repacked from the copies PyPI's ``ansible`` package installed into .venv (``repack``), installed with
  ``ansible-galaxy collection install --offline``;
* every Python package the build installs as wheels made on the host (``pip-requirements`` lists them from the
  rendered Dockerfile and ansible-builder's introspection of the collections), installed with PIP_NO_INDEX.

Tarballs are written byte for byte the same for the same content (sorted members, fixed times, no gzip timestamp), so
that a warm run's ``docker build`` reuses every layer. Tested by tests/unit/support/test_ee_build.py.
"""
from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from host_apt import os_release, source_files as host_sources  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = "gohost-ee"

# The base: what ansible-builder's scripts need from a distribution (python3 with pip and venv, dpkg-query for
# bindep, CA certificates), nothing else. The collection's own system needs come from its bindep.txt at build time.
BASE_PACKAGES = ["python3", "python3-pip", "python3-venv", "ca-certificates"]
BASE_CUSTOMIZE = ['rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/archives/"*.deb']
BASE_CHANGES = ["ENV LANG=C.UTF-8", 'CMD ["bash"]']
# Bump when the build steps change in a way the hashed recipe does not show.
BASE_RECIPE_VERSION = "1"

PKGMGR = "/usr/local/bin/apt-dnf"
WHEELS = "/opt/gohost-ee/wheels"
# Debian's python3 ("python_interpreter" of the example names UBI's python3.11 package).
PYTHON = "/usr/bin/python3"


class DefinitionError(ValueError):
    """The example and the collection do not fit together (e.g. the tarball's version)."""


# --- deterministic tarballs ------------------------------------------------------------------------------------------

def write_tarball(path: str, members: list[tuple[str, bytes | None, int]]) -> str:
    """Write ``members`` (name, data or None for a directory, mode) sorted, with fixed owner and times, gzip
    without a timestamp: the same members give the same bytes. Written beside ``path`` and renamed into place."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, mode in sorted(members, key=lambda m: m[0]):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, mode or 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), mode or 0o644
                tar.addfile(info, io.BytesIO(data))
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue())
    os.replace(tmp, path)
    return path


def normalize_tarball(path: str) -> str:
    """Rewrite a collection tarball (as `ansible-galaxy collection build` makes it) deterministically, in place."""
    members = []
    with tarfile.open(path, "r:gz") as tar:
        for info in tar.getmembers():
            if info.isdir():
                members.append((info.name, None, info.mode))
            elif info.isfile():
                members.append((info.name, tar.extractfile(info).read(), info.mode))
            else:
                raise DefinitionError(f"{path}: {info.name} is neither a file nor a directory")
    return write_tarball(path, members)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def repack(collection_dir: str, out_dir: str) -> str:
    """A collection artifact (``<ns>-<name>-<version>.tar.gz``) from an installed collection directory.

    An installed collection holds MANIFEST.json and FILES.json like an artifact, but PyPI's ``ansible`` package
    leaves out files FILES.json lists (CI configuration, tests), and ansible-galaxy refuses an artifact that lacks
    one. So FILES.json is rewritten to the files that are there (each checked against its recorded sha256: a changed
    file is an error, not something to paper over) and MANIFEST.json to FILES.json's new checksum."""
    with open(os.path.join(collection_dir, "MANIFEST.json"), "rb") as fh:
        manifest = json.load(fh)
    with open(os.path.join(collection_dir, "FILES.json"), "rb") as fh:
        files = json.load(fh)
    info = manifest["collection_info"]
    kept, members = [], []
    for entry in files["files"]:
        name = entry["name"]
        if name == ".":
            kept.append(entry)
            continue
        path = os.path.join(collection_dir, name)
        if entry["ftype"] == "dir":
            if os.path.isdir(path):
                kept.append(entry)
                members.append((name, None, 0o755))
            continue
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as fh:
            data = fh.read()
        if entry.get("chksum_sha256") and _sha256(data) != entry["chksum_sha256"]:
            raise DefinitionError(f"{path} differs from the checksum its FILES.json records")
        kept.append(entry)
        mode = 0o755 if os.access(path, os.X_OK) else 0o644
        members.append((name, data, mode))
    files_json = json.dumps({**files, "files": kept}, indent=4, sort_keys=True).encode()
    manifest = copy.deepcopy(manifest)
    manifest["file_manifest_file"]["chksum_sha256"] = _sha256(files_json)
    members += [("FILES.json", files_json, 0o644),
                ("MANIFEST.json", json.dumps(manifest, indent=4, sort_keys=True).encode(), 0o644)]
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"{info['namespace']}-{info['name']}-{info['version']}.tar.gz")
    return write_tarball(out, members)


def installed_collection(fqcn: str, paths: list[str] | None = None) -> str:
    """The directory of an installed collection (with its MANIFEST.json) on ``paths`` (this Python's sys.path: the
    collections of PyPI's ``ansible`` package in .venv)."""
    namespace, name = fqcn.split(".")
    for entry in sys.path if paths is None else paths:
        path = os.path.join(entry or ".", "ansible_collections", namespace, name)
        if os.path.isfile(os.path.join(path, "MANIFEST.json")):
            return os.path.abspath(path)
    raise DefinitionError(f"{fqcn} is not installed (an artifact with MANIFEST.json) on {paths or 'sys.path'}")


def dependency_closure(fqcns: list[str], paths: list[str] | None = None) -> list[str]:
    """``fqcns`` and every collection they depend on (MANIFEST.json ``dependencies``, recursively), in the order
    found: what the offline install needs as tarballs."""
    out: list[str] = []
    todo = list(fqcns)
    while todo:
        fqcn = todo.pop(0)
        if fqcn in out:
            continue
        out.append(fqcn)
        with open(os.path.join(installed_collection(fqcn, paths), "MANIFEST.json"), "rb") as fh:
            todo += sorted(json.load(fh)["collection_info"].get("dependencies") or {})
    return out


def galaxy_dependencies(root: str = ROOT) -> list[str]:
    return sorted(_load(os.path.join(root, "galaxy.yml")).get("dependencies") or {})


# --- the CI definition -----------------------------------------------------------------------------------------------

def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def collection_version(root: str = ROOT) -> str:
    return str(_load(os.path.join(root, "galaxy.yml"))["version"])


def tarball_name(version: str) -> str:
    return f"noble-gohost-{version}.tar.gz"


def ci_definition(example: dict, requirements: dict, *, version: str, tarball: str, deps: list[str],
                  base_image: str, wheels: str, shim: str, tag: str) -> tuple[dict, dict]:
    """The definition and galaxy requirements CI builds, from the example's (``example``, ``requirements``).

    Kept from the example: the schema version, ansible-core and ansible-runner, the collection tarball it names
    (which must be this version's: the example is then out of date otherwise) and its requirements entry.
    ``tarball``, ``deps``, ``wheels`` and ``shim`` are absolute paths on this machine."""
    if example.get("version") != 3:
        raise DefinitionError(f"the example is ansible-builder schema version {example.get('version')}, not 3")
    expected = tarball_name(version)
    files = example.get("additional_build_files") or []
    ours = [f for f in files if os.path.basename(str(f.get("src", ""))).startswith("noble-gohost-")]
    if [os.path.basename(f["src"]) for f in ours] != [expected]:
        raise DefinitionError(f"the example's additional_build_files should copy {expected} (galaxy.yml version "
                              f"{version}), found {[f.get('src') for f in ours]}")
    entries = (requirements or {}).get("collections") or []
    if not any(e.get("type") == "file" and os.path.basename(str(e.get("name", ""))) == expected for e in entries):
        raise DefinitionError(f"the example's requirements.yml should install {expected} (type: file)")
    if os.path.basename(tarball) != expected:
        raise DefinitionError(f"the tarball built is {os.path.basename(tarball)}, the example needs {expected}")
    for path in [tarball, *deps, wheels, shim]:
        if not os.path.isabs(path) or not os.path.exists(path):
            raise DefinitionError(f"{path}: not an absolute path that exists")

    dest = ours[0].get("dest", ".")
    definition = copy.deepcopy(example)
    definition["images"] = {"base_image": {"name": base_image}}
    deps_section = definition.setdefault("dependencies", {})
    # The base has Debian's python3 already; UBI's python3.11 package does not exist there.
    deps_section["python_interpreter"] = {"python_path": PYTHON}
    deps_section["galaxy"] = "requirements.yml"
    definition["build_arg_defaults"] = {**(definition.get("build_arg_defaults") or {}),
                                        # no Galaxy here: every collection is one of the tarballs
                                        "ANSIBLE_GALAXY_CLI_COLLECTION_OPTS": "--offline"}
    definition["additional_build_files"] = (
        [{**f, "src": tarball} if f in ours else f for f in files]
        + [{"src": d, "dest": dest} for d in deps]
        + [{"src": wheels, "dest": f"{PREFIX}/wheels"}, {"src": shim, "dest": PREFIX}])
    steps = definition.setdefault("additional_build_steps", {})
    steps["prepend_base"] = [
        f"COPY _build/{PREFIX}/{os.path.basename(shim)} {PKGMGR}",
        f"COPY _build/{PREFIX}/wheels/ {WHEELS}/",
        # every pip install of every stage (they all start from base) from the wheels made on the host
        f"ENV PIP_NO_INDEX=1 PIP_FIND_LINKS={WHEELS} PIP_DISABLE_PIP_VERSION_CHECK=1",
    ] + _as_list(steps.get("prepend_base"))
    steps["append_final"] = _as_list(steps.get("append_final")) + [
        # the image's pip uses an index again; the wheels go (they stay in a lower layer: a CI image, not shipped)
        f"RUN rm -rf {os.path.dirname(WHEELS)} && {PKGMGR} clean all",
        "ENV PIP_NO_INDEX=0 PIP_FIND_LINKS=",
    ]
    options = {**(definition.get("options") or {})}
    options.update({"package_manager_path": PKGMGR, "skip_pip_install": True, "tags": [tag]})
    definition["options"] = options

    reqs = copy.deepcopy(requirements)
    reqs["collections"] = list(entries) + [
        {"name": f"{dest}/{os.path.basename(d)}", "type": "file"} for d in deps]
    return definition, reqs


def _as_list(steps) -> list[str]:
    if not steps:
        return []
    return steps.strip().splitlines() if isinstance(steps, str) else list(steps)


# --- what pip installs during the build ------------------------------------------------------------------------------

_ARG = re.compile(r'^ARG\s+(\w+)="(.*)"\s*$')
_PIP = re.compile(r"^RUN\s+\$PYCMD -m pip install (.*)$")


def containerfile_pip_requirements(text: str) -> list[str]:
    """The packages the rendered Dockerfile installs with pip by name (ANSIBLE_INSTALL_REFS, bindep and its
    helpers, the container init): the wheels of these must be in the build's wheel directory."""
    args = {}
    out: list[str] = []
    for line in text.splitlines():
        if m := _ARG.match(line):
            args[m.group(1)] = m.group(2)
            continue
        if m := _PIP.match(line.strip()):
            for word in shlex.split(m.group(1)):
                if word == "$ANSIBLE_INSTALL_REFS":
                    out += args.get("ANSIBLE_INSTALL_REFS", "").split()
                elif not word.startswith(("-", "$")):
                    out.append(word)
    return _unique(out)


def introspect_requirements(text: str) -> list[str]:
    """Requirement lines of `ansible-builder introspect --write-pip` output (comments and blanks dropped; a
    ``# from collection`` tail is ansible-builder's note of where a line came from)."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return _unique(out)


def _unique(items: list[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


# --- the base image --------------------------------------------------------------------------------------------------

def base_recipe_hash(parts: list[str]) -> str:
    digest = hashlib.sha256(BASE_RECIPE_VERSION.encode())
    for part in [*BASE_PACKAGES, *BASE_CUSTOMIZE, *BASE_CHANGES, *parts]:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:12]


def _image_exists(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True, check=False).returncode == 0


def build_base() -> tuple[str, bool]:
    """``gohost-ee/base:<hash>`` from this machine's apt sources (read now, written into no file of the project);
    returns (image, built now)."""
    codename = os_release().get("VERSION_CODENAME") or "unknown"
    sources = host_sources()
    if not sources:
        raise RuntimeError("this machine has no apt sources to build the base image from")
    parts = [codename]
    for path in sources:
        with open(path, encoding="utf-8") as fh:
            parts.append(fh.read())
    ref = f"{PREFIX}/base:{base_recipe_hash(parts)}"
    if _image_exists(ref):
        return ref, False
    if not shutil.which("mmdebstrap"):
        raise RuntimeError("mmdebstrap is not installed (make deps)")
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}-base-") as tmp:
        tarball = os.path.join(tmp, "rootfs.tar")
        cmd = ["mmdebstrap", "--quiet", "--variant=apt", "--format=tar", "--include=" + ",".join(BASE_PACKAGES)]
        cmd += [f"--customize-hook={hook}" for hook in BASE_CUSTOMIZE] + [codename, tarball] + sources
        subprocess.run(cmd, check=True)
        imp = ["docker", "import"]
        for change in BASE_CHANGES:
            imp += ["--change", change]
        subprocess.run(imp + [tarball, ref], check=True, stdout=subprocess.DEVNULL)
    return ref, True


# --- command line (tests/ee.sh) --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("base", help="build or reuse the base image; prints its name and whether it was built now")
    p = sub.add_parser("repack", help="an artifact from an installed collection (a directory or namespace.name on "
                                      "this Python's sys.path); prints its path")
    p.add_argument("collection")
    p.add_argument("out_dir")
    p = sub.add_parser("normalize", help="rewrite a collection tarball deterministically")
    p.add_argument("tarball")
    p = sub.add_parser("definition", help="write the CI definition derived from the example")
    p.add_argument("--example", required=True, help="the example's directory")
    p.add_argument("--out", required=True, help="directory to write execution-environment.yml and requirements.yml")
    p.add_argument("--tarball", required=True)
    p.add_argument("--dep", action="append", default=[])
    p.add_argument("--base", required=True)
    p.add_argument("--wheels", required=True)
    p.add_argument("--shim", required=True)
    p.add_argument("--tag", required=True)
    p = sub.add_parser("pip-requirements", help="what the build installs with pip, one a line")
    p.add_argument("containerfile")
    p.add_argument("introspected", nargs="*", help="`ansible-builder introspect --write-pip` files")
    sub.add_parser("version", help="the collection's version (galaxy.yml)")
    p = sub.add_parser("closure", help="galaxy.yml's dependencies, these collections, and what they depend on")
    p.add_argument("collections", nargs="*")
    args = parser.parse_args(argv)

    try:
        if args.cmd == "base":
            ref, built = build_base()
            print(ref, "built" if built else "cached")
        elif args.cmd == "repack":
            src = args.collection if os.path.isdir(args.collection) else installed_collection(args.collection)
            print(repack(src, args.out_dir))
        elif args.cmd == "normalize":
            normalize_tarball(args.tarball)
        elif args.cmd == "closure":
            print("\n".join(dependency_closure(galaxy_dependencies() + args.collections)))
        elif args.cmd == "version":
            print(collection_version())
        elif args.cmd == "definition":
            example = _load(os.path.join(args.example, "execution-environment.yml"))
            reqs = _load(os.path.join(args.example, example["dependencies"]["galaxy"]))
            definition, reqs = ci_definition(
                example, reqs, version=collection_version(), tarball=args.tarball, deps=args.dep,
                base_image=args.base, wheels=args.wheels, shim=args.shim, tag=args.tag)
            os.makedirs(args.out, exist_ok=True)
            header = "---\n# Written by tests/support/ee_build.py from examples/execution-environment/: do not edit.\n"
            for name, data in (("execution-environment.yml", definition), ("requirements.yml", reqs)):
                with open(os.path.join(args.out, name), "w", encoding="utf-8") as fh:
                    fh.write(header + yaml.safe_dump(data, sort_keys=False, width=200))
        elif args.cmd == "pip-requirements":
            with open(args.containerfile, encoding="utf-8") as fh:
                reqs = containerfile_pip_requirements(fh.read())
            for path in args.introspected:
                with open(path, encoding="utf-8") as fh:
                    reqs += introspect_requirements(fh.read())
            print("\n".join(_unique(reqs)))
    except (DefinitionError, RuntimeError, subprocess.CalledProcessError, OSError, KeyError) as exc:
        print(f"ee_build {args.cmd}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
