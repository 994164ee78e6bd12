"""tests/support/ee_build.py: the CI definition `make ee` derives from examples/execution-environment/, the
collection artifacts it repacks, the wheels it makes for the build, and the dnf-shaped apt front end."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import ee_build  # noqa: E402  pylint: disable=wrong-import-position

ROOT = ee_build.ROOT
EXAMPLE = os.path.join(ROOT, "examples", "execution-environment")
SHIM = os.path.join(ROOT, "tests", "ee", "apt-dnf.sh")


def load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def installed_collection(root, files, missing=(), changed=()):
    """An installed collection as PyPI's `ansible` package leaves it: MANIFEST.json, FILES.json listing `files`
    (name -> bytes) and `missing` (listed, not on disk), `changed` ones on disk with other content."""
    coll = root / "ansible_collections" / "acme" / "demo"
    coll.mkdir(parents=True)
    names = sorted(set(files) | set(missing))
    dirs = sorted({"/".join(n.split("/")[:i]) for n in names for i in range(1, n.count("/") + 1)})
    entries = [{"name": ".", "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1}]
    entries += [{"name": d, "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1} for d in dirs]
    for name in names:
        data = files.get(name, b"gone")
        entries.append({"name": name, "ftype": "file", "chksum_type": "sha256", "chksum_sha256": sha(data),
                        "format": 1})
        if name in files:
            (coll / name).parent.mkdir(parents=True, exist_ok=True)
            (coll / name).write_bytes(b"edited" if name in changed else data)
    files_json = json.dumps({"files": entries, "format": 1}).encode()
    (coll / "FILES.json").write_bytes(files_json)
    manifest = {"collection_info": {"namespace": "acme", "name": "demo", "version": "2.3.4",
                                    "dependencies": {"acme.base": ">=1.0.0"}},
                "file_manifest_file": {"name": "FILES.json", "ftype": "file", "chksum_type": "sha256",
                                       "chksum_sha256": sha(files_json), "format": 1},
                "format": 1}
    (coll / "MANIFEST.json").write_text(json.dumps(manifest))
    return coll


def test_repack_lists_only_the_files_that_are_there(tmp_path):
    coll = installed_collection(tmp_path, {"plugins/modules/x.py": b"print(1)\n", "README.md": b"# demo\n"},
                                missing=[".azure-pipelines/ci.yml", "tests/unit/test_x.py"])
    out = ee_build.repack(str(coll), str(tmp_path / "out"))
    assert os.path.basename(out) == "acme-demo-2.3.4.tar.gz"
    with tarfile.open(out) as tar:
        names = tar.getnames()
        files = json.load(tar.extractfile("FILES.json"))
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        raw_files = tar.extractfile("FILES.json").read()
    # members as ansible-galaxy expects them: no "./" prefix, MANIFEST.json at the top
    assert "MANIFEST.json" in names and not any(n.startswith("./") for n in names)
    listed = [e["name"] for e in files["files"]]
    assert listed == [".", "plugins", "plugins/modules", "README.md", "plugins/modules/x.py"]  # FILES.json's order
    assert all(n in names for n in listed if n != ".")
    assert manifest["file_manifest_file"]["chksum_sha256"] == sha(raw_files)
    assert manifest["collection_info"]["dependencies"] == {"acme.base": ">=1.0.0"}


def test_repack_refuses_a_changed_file(tmp_path):
    coll = installed_collection(tmp_path, {"plugins/modules/x.py": b"print(1)\n"}, changed=["plugins/modules/x.py"])
    with pytest.raises(ee_build.DefinitionError, match="differs from the checksum"):
        ee_build.repack(str(coll), str(tmp_path / "out"))


def test_tarballs_are_the_same_bytes_for_the_same_content(tmp_path):
    coll = installed_collection(tmp_path, {"plugins/modules/x.py": b"print(1)\n"})
    first = open(ee_build.repack(str(coll), str(tmp_path / "a")), "rb").read()
    os.utime(coll / "plugins" / "modules" / "x.py", (1, 1))  # a touched file changes nothing
    second = open(ee_build.repack(str(coll), str(tmp_path / "b")), "rb").read()
    assert first == second
    # gzip without a timestamp or a file name
    assert first[4:8] == b"\0\0\0\0"


def test_normalize_keeps_the_members_and_drops_the_times(tmp_path):
    path = tmp_path / "noble-gohost-9.9.9.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("MANIFEST.json", b"{}"), ("roles/x/tasks/main.yml", b"---\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1781400000, 0o644
            tar.addfile(info, io.BytesIO(data))
    ee_build.normalize_tarball(str(path))
    once = path.read_bytes()
    ee_build.normalize_tarball(str(path))
    assert path.read_bytes() == once
    with tarfile.open(path) as tar:
        assert tar.getnames() == ["MANIFEST.json", "roles/x/tasks/main.yml"]
        assert {m.mtime for m in tar.getmembers()} == {0}
        assert tar.extractfile("roles/x/tasks/main.yml").read() == b"---\n"
    assert gzip.decompress(once)  # still a gzip file


def test_dependency_closure_follows_the_manifests(tmp_path):
    def coll(fqcn, deps):
        ns, name = fqcn.split(".")
        d = tmp_path / "ansible_collections" / ns / name
        d.mkdir(parents=True)
        (d / "MANIFEST.json").write_text(json.dumps({"collection_info": {"dependencies": deps}}))
    coll("acme.a", {"acme.b": "*", "acme.c": ">=1"})
    coll("acme.b", {"acme.c": "*"})
    coll("acme.c", {})
    coll("acme.d", {"acme.c": "*"})
    assert ee_build.dependency_closure(["acme.a", "acme.d"], [str(tmp_path)]) == ["acme.a", "acme.d", "acme.b", "acme.c"]
    with pytest.raises(ee_build.DefinitionError, match="acme.zz is not installed"):
        ee_build.dependency_closure(["acme.zz"], [str(tmp_path)])


def test_the_example_fits_this_collection():
    """The example names this version's tarball, installs it from a file, and pins ansible-core as .venv does."""
    example = load(os.path.join(EXAMPLE, "execution-environment.yml"))
    reqs = load(os.path.join(EXAMPLE, example["dependencies"]["galaxy"]))
    version = ee_build.collection_version()
    name = ee_build.tarball_name(version)
    assert example["version"] == 3
    assert [os.path.basename(f["src"]) for f in example["additional_build_files"]] == [name]
    assert {"name": "collections/" + name, "type": "file"} in reqs["collections"]
    with open(os.path.join(ROOT, "tests", "requirements-dev.txt"), encoding="utf-8") as fh:
        core = [line.strip() for line in fh if line.startswith("ansible-core==")]
    assert example["dependencies"]["ansible_core"]["package_pip"] == core[0]
    with open(os.path.join(ROOT, "tests", "requirements-ee.txt"), encoding="utf-8") as fh:
        runner = [line.strip() for line in fh if line.startswith("ansible-runner==")]
    assert example["dependencies"]["ansible_runner"]["package_pip"] == runner[0]


def test_the_collection_tells_ansible_builder_its_needs():
    meta = load(os.path.join(ROOT, "meta", "execution-environment.yml"))
    assert meta == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}
    with open(os.path.join(ROOT, "bindep.txt"), encoding="utf-8") as fh:
        lines = [line.strip() for line in fh if line.strip() and not line.startswith("#")]
    # one package for each packaging family
    dpkg = {line.split()[0] for line in lines if "platform:dpkg" in line or "[" not in line}
    rpm = {line.split()[0] for line in lines if "platform:rpm" in line or "[" not in line}
    assert {"golang-go", "openssh-client"} <= dpkg and {"golang", "openssh-clients"} <= rpm


@pytest.fixture
def paths(tmp_path):
    tarball = tmp_path / ee_build.tarball_name(ee_build.collection_version())
    tarball.write_bytes(b"x")
    dep = tmp_path / "deps" / "acme-demo-2.3.4.tar.gz"
    dep.parent.mkdir()
    dep.write_bytes(b"x")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    return {"tarball": str(tarball), "deps": [str(dep)], "wheels": str(wheels), "shim": SHIM}


def ci(paths, example=None, reqs=None, **kw):
    example = example or load(os.path.join(EXAMPLE, "execution-environment.yml"))
    reqs = reqs or load(os.path.join(EXAMPLE, "requirements.yml"))
    args = {"version": ee_build.collection_version(), "base_image": "gohost-ee/base:abc", "tag": "gohost-ee/x:1",
            **paths, **kw}
    return ee_build.ci_definition(example, reqs, **args)


def test_ci_definition_keeps_the_examples_pins_and_makes_it_offline(paths):
    example = load(os.path.join(EXAMPLE, "execution-environment.yml"))
    definition, reqs = ci(paths)
    assert definition["images"] == {"base_image": {"name": "gohost-ee/base:abc"}}
    for key in ("ansible_core", "ansible_runner"):
        assert definition["dependencies"][key] == example["dependencies"][key]
    assert definition["dependencies"]["python_interpreter"] == {"python_path": "/usr/bin/python3"}
    assert definition["build_arg_defaults"]["ANSIBLE_GALAXY_CLI_COLLECTION_OPTS"] == "--offline"
    assert definition["options"]["package_manager_path"] == ee_build.PKGMGR
    assert definition["options"]["skip_pip_install"] is True
    assert definition["options"]["tags"] == ["gohost-ee/x:1"]
    srcs = [f["src"] for f in definition["additional_build_files"]]
    assert srcs == [paths["tarball"], *paths["deps"], paths["wheels"], SHIM]
    assert all(os.path.isabs(s) for s in srcs)
    # the example's entry first, then the dependencies from the same directory
    assert reqs["collections"] == [
        {"name": "collections/" + os.path.basename(paths["tarball"]), "type": "file"},
        {"name": "collections/acme-demo-2.3.4.tar.gz", "type": "file"}]
    steps = definition["additional_build_steps"]
    assert any("PIP_NO_INDEX=1" in s for s in steps["prepend_base"])
    assert steps["append_final"][-1].startswith("ENV PIP_NO_INDEX=0")
    # the example itself is left as it was
    assert example == load(os.path.join(EXAMPLE, "execution-environment.yml"))


def test_ci_definition_keeps_the_users_own_steps(paths):
    example = load(os.path.join(EXAMPLE, "execution-environment.yml"))
    example["additional_build_steps"] = {"prepend_base": "RUN echo one\nRUN echo two\n", "append_final": ["RUN true"]}
    definition, _reqs = ci(paths, example=example)
    steps = definition["additional_build_steps"]
    assert steps["prepend_base"][-2:] == ["RUN echo one", "RUN echo two"]
    assert steps["append_final"][0] == "RUN true"


def test_ci_definition_refuses_an_example_of_another_version(paths):
    with pytest.raises(ee_build.DefinitionError, match="should copy noble-gohost-7.7.7.tar.gz"):
        ci(paths, version="7.7.7")
    example = load(os.path.join(EXAMPLE, "execution-environment.yml"))
    example["version"] = 1
    with pytest.raises(ee_build.DefinitionError, match="schema version 1"):
        ci(paths, example=example)
    with pytest.raises(ee_build.DefinitionError, match="requirements.yml should install"):
        ci(paths, reqs={"collections": [{"name": "noble.gohost"}]})
    with pytest.raises(ee_build.DefinitionError, match="not an absolute path that exists"):
        ci({**paths, "deps": ["deps/relative.tar.gz"]})


DOCKERFILE = """\
ARG EE_BASE_IMAGE="gohost-ee/base:abc"
ARG PYCMD="/usr/bin/python3"
ARG ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"
FROM $EE_BASE_IMAGE AS base
RUN $PYCMD -m pip install --no-cache-dir $ANSIBLE_INSTALL_REFS
FROM base AS builder
RUN $PYCMD -m pip install --no-cache-dir bindep pyyaml packaging
RUN $PYCMD /output/scripts/introspect.py introspect --write-bindep=/tmp/src/bindep.txt
FROM base AS final
RUN $PYCMD -m pip install --no-cache-dir 'dumb-init==1.2.5'
"""


def test_pip_requirements_of_the_dockerfile_and_the_collections():
    assert ee_build.containerfile_pip_requirements(DOCKERFILE) == [
        "ansible-core==2.19.14", "ansible-runner==2.4.3", "bindep", "pyyaml", "packaging", "dumb-init==1.2.5"]
    introspected = "jmespath==1.1.0  # from collection noble.gohost\n\n# a comment\nnetaddr>=0.10.1  # from x\n"
    assert ee_build.introspect_requirements(introspected) == ["jmespath==1.1.0", "netaddr>=0.10.1"]


def test_base_recipe_hash_follows_the_sources():
    assert ee_build.base_recipe_hash(["bookworm", "deb a"]) == ee_build.base_recipe_hash(["bookworm", "deb a"])
    assert ee_build.base_recipe_hash(["bookworm", "deb a"]) != ee_build.base_recipe_hash(["bookworm", "deb b"])
    # parts are separated: moving text between two parts is another recipe
    assert ee_build.base_recipe_hash(["ab", "c"]) != ee_build.base_recipe_hash(["a", "bc"])


def test_definition_command_writes_files_ansible_builder_reads(paths, tmp_path):
    out = tmp_path / "def"
    args = ["definition", "--example", EXAMPLE, "--out", str(out), "--tarball", paths["tarball"],
            "--dep", paths["deps"][0], "--base", "gohost-ee/base:abc", "--wheels", paths["wheels"],
            "--shim", SHIM, "--tag", "gohost-ee/x:1"]
    assert ee_build.main(args) == 0
    definition = load(out / "execution-environment.yml")
    assert definition["dependencies"]["galaxy"] == "requirements.yml"
    assert load(out / "requirements.yml")["collections"][1]["name"] == "collections/acme-demo-2.3.4.tar.gz"
    assert ee_build.main([*args[:5], "--tarball", str(tmp_path / "noble-gohost-0.0.1.tar.gz"), *args[7:]]) == 1


def shim(tmp_path, *args):
    """Run apt-dnf.sh with apt-get replaced by a recorder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "apt-get").write_text('#!/bin/sh\necho "apt-get $*" >> "$RECORD"\n')
    (bin_dir / "apt-get").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "RECORD": str(tmp_path / "record")}
    proc = subprocess.run(["sh", SHIM, *args], env=env, capture_output=True, text=True, check=False)
    record = (tmp_path / "record").read_text() if (tmp_path / "record").exists() else ""
    return proc, record


def test_apt_dnf_installs_what_bindep_lists(tmp_path):
    proc, record = shim(tmp_path, "install", "-y", "--nodocs", "--setopt", "install_weak_deps=0", "golang-go", "git")
    assert proc.returncode == 0, proc.stderr
    # no lists in the test's /var/lib/apt/lists: it updates first (true on a machine with lists too: both lines)
    assert record.splitlines()[-1] == "apt-get install -y -qq --no-install-recommends golang-go git"


def test_apt_dnf_does_nothing_without_packages_and_refuses_the_unknown(tmp_path):
    proc, record = shim(tmp_path, "install", "-y")
    assert (proc.returncode, record) == (0, "")
    proc, _record = shim(tmp_path, "install", "-y", "--enablerepo", "epel", "x")
    assert proc.returncode == 2 and "unsupported option --enablerepo" in proc.stderr
    proc, _record = shim(tmp_path, "upgrade")
    assert proc.returncode == 2 and "unsupported command upgrade" in proc.stderr
