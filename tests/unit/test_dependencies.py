# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""galaxy.yml's dependencies and requirements.yml against what the collection uses and what this venv has: every
collection named by FQCN in the roles, plugins and playbooks is a dependency (and the tests' ones are in
requirements.yml); the version this Python's ansible loads is in range and declares support for this
ansible-core. `make compat` runs this with the oldest and newest supported ansible-core's venvs (issue 14: the
`ansible` 12 package's community.crypto 3.x declares requires_ansible >=2.17, and the collection never used it)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re
import sys

import pytest
import yaml

from ansible.release import __version__ as core_version

try:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version
except ImportError:  # pragma: no cover - ansible-core depends on packaging
    SpecifierSet = Version = None

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FQCN = re.compile(r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*\b")
OWN = {("noble", "gohost"), ("ansible", "builtin")}
# words that look like FQCNs in these files but are not collections
NOT_COLLECTIONS = {("go", "dev"), ("go", "uber"), ("example", "com"), ("corp", "example"), ("golang", "org")} | {
    ("ansible", pkg) for pkg in ("module_utils", "plugins", "errors", "release", "template", "parsing", "cli")}


def collections_used(*patterns):
    found = {}
    for pattern in patterns:
        for path in glob.glob(os.path.join(ROOT, pattern), recursive=True):
            if not os.path.isfile(path) or not path.endswith((".yml", ".yaml", ".j2", ".py")):
                continue
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if re.match(r"^\s*#", line) or (path.endswith(".py") and re.match(r"^\s*(from|import)\s", line)):
                        continue  # comments; Python imports of ansible-core's own packages (ansible.utils.display)
                    for match in FQCN.finditer(line):
                        key = (match.group(1), match.group(2))
                        if key not in OWN and key not in NOT_COLLECTIONS and match.group(1) in ("ansible", "community"):
                            found.setdefault("%s.%s" % key, os.path.relpath(path, ROOT))
    return found


def galaxy_dependencies():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["dependencies"]


def requirements():
    with open(os.path.join(ROOT, "requirements.yml"), encoding="utf-8") as fh:
        return {c["name"]: c["version"] for c in yaml.safe_load(fh)["collections"]}


def installed(name):
    """(version, requires_ansible) of the first copy of collection `name` on sys.path (what ansible loads)."""
    namespace, coll = name.split(".")
    for entry in sys.path:
        base = os.path.join(entry, "ansible_collections", namespace, coll)
        if os.path.isfile(os.path.join(base, "MANIFEST.json")):
            with open(os.path.join(base, "MANIFEST.json"), encoding="utf-8") as fh:
                version = json.load(fh)["collection_info"]["version"]
            runtime = os.path.join(base, "meta", "runtime.yml")
            requires = None
            if os.path.isfile(runtime):
                with open(runtime, encoding="utf-8") as fh:
                    requires = (yaml.safe_load(fh) or {}).get("requires_ansible")
            return version, requires
    return None


def test_every_collection_the_content_uses_is_a_dependency():
    used = collections_used("roles/**/*", "plugins/**/*", "playbooks/**/*")
    assert used, "the check found no collection at all"
    missing = dict((name, where) for name, where in used.items() if name not in galaxy_dependencies())
    assert missing == {}
    # and nothing is declared that the content does not use
    assert sorted(set(galaxy_dependencies()) - set(used)) == []


def test_requirements_cover_the_dependencies_and_the_tests():
    used = collections_used("molecule/**/*", ".config/**/*", "tests/**/*.yml", "benchmarks/**/*")
    wanted = set(galaxy_dependencies()) | set(used) | {"community.docker"}  # Molecule's docker driver
    assert sorted(wanted - set(requirements())) == []


@pytest.mark.skipif(SpecifierSet is None, reason="the packaging library is not installed")
@pytest.mark.parametrize("source", ["galaxy.yml", "requirements.yml"])
def test_installed_collections_are_in_range_and_support_this_core(source):
    ranges = galaxy_dependencies() if source == "galaxy.yml" else requirements()
    problems = []
    for name, spec in sorted(ranges.items()):
        found = installed(name)
        if found is None:
            problems.append("%s: not installed" % name)
            continue
        version, requires = found
        if Version(version) not in SpecifierSet(spec.replace(" ", "")):
            problems.append("%s %s: not in %s's range %s" % (name, version, source, spec))
        if requires and Version(core_version) not in SpecifierSet(requires.replace(" ", "")):
            problems.append("%s %s: requires_ansible %s, this is ansible-core %s" % (name, version, requires, core_version))
    assert problems == []
