# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apparmor_profile's analysis on every profile THIS machine's AppArmor packages ship, with the real apparmor_parser.

The corpus is /etc/apparmor.d (packages apparmor, apparmor-profiles, apparmor-profiles-extra) and
/usr/share/apparmor/extra-profiles (apparmor-profiles); nothing is loaded into the kernel (the parser's offline
modes only). For every file:

- the profiles the module finds (``_apparmor.Parser.profiles``) are the names ``apparmor_parser -N`` prints;
- ``mode: complain`` (``_apparmor.plan``, which compiles its result) either gives a text whose ``--debug`` dump (every
  rule, name and mode) is the dump of the original under ``--Complain``, byte for byte (complain on every profile,
  nothing else changed), or is refused naming the profiles it cannot set (flags conflicting with complain, profiles
  of included files);
- ``mode: enforce`` of the complain text gives back the enforce text, and a file without complain flags unchanged.

Then the module itself runs through ansible-playbook on the layouts of issue 15, against a scratch policy directory.
Run with `make unit` (or `pytest tests/integration`); needs apparmor_parser (Debian/Ubuntu package apparmor).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _apparmor

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
BASE = "/etc/apparmor.d"
PARSER = next((p for p in (shutil.which("apparmor_parser"), "/sbin/apparmor_parser", "/usr/sbin/apparmor_parser")
               if p and os.access(p, os.X_OK)), None)
SKIP = {"README"}  # extra-profiles/README is prose


def corpus():
    files = sorted(p for p in glob.glob(os.path.join(BASE, "*")) if os.path.isfile(p))
    files += sorted(p for p in glob.glob("/usr/share/apparmor/extra-profiles/*")
                    if os.path.isfile(p) and os.path.basename(p) not in SKIP)
    return files


pytestmark = pytest.mark.skipif(PARSER is None, reason="apparmor_parser is not installed here (package apparmor)")


def run(args):
    proc = subprocess.run([PARSER, "--base", BASE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=False)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


class Commands(object):
    """What the module's Parser needs of an AnsibleModule: run_command, here for real."""

    def run_command(self, args):
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              check=False)
        return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def scratch():
    path = tempfile.mkdtemp(prefix="gohost-apparmor-")
    yield path
    shutil.rmtree(path)


def writer(scratch, name):
    def write(text):
        path = os.path.join(scratch, "%s.%d" % (name, len(os.listdir(scratch))))
        with open(path, "w") as fh:
            fh.write(text)
        return path
    return write


def test_the_corpus_is_there():
    if not os.path.isdir("/usr/share/apparmor/extra-profiles"):
        pytest.skip("/usr/share/apparmor/extra-profiles is missing: package apparmor-profiles (and "
                    "apparmor-profiles-extra) not installed, the corpus is only apparmor's own %d file(s)"
                    % len(corpus()))
    # apparmor's own profiles (lsb_release, nvidia_modprobe), apparmor-profiles' in /etc/apparmor.d and its
    # extra-profiles: 143 files on Debian 12
    assert len(corpus()) > 100


def analyse(path, scratch):
    """Everything test_shipped_profile checks, from the real parser (run for all files at once, in threads)."""
    parser = _apparmor.Parser(Commands(), PARSER, BASE)
    rc, out, err = run(["--names", path])
    assert rc == 0, err
    found = dict(names=out.decode("utf-8").split("\n")[:-1], profiles=parser.profiles(path))
    with open(path) as fh:
        found["content"] = content = fh.read()
    name = os.path.basename(path)
    found["complain"] = _apparmor.plan(parser, content, "complain", writer(scratch, name), path)
    if found["complain"][0] is not None:
        candidate = writer(scratch, name)(found["complain"][0])
        found["dump"] = run(["--skip-kernel-load", "--skip-cache", "--debug", candidate])
        found["forced"] = run(["--skip-kernel-load", "--skip-cache", "--debug", "--Complain", path])
    found["enforce"] = _apparmor.plan(parser, content, "enforce", writer(scratch, name), path)
    return found


def assert_refused_children(err, profiles):
    assert "their header is not in the content" in err, err
    named = err.split(" on profile(s) ", 1)[1].split(" of /", 1)[0].split(", ")
    names = dict(profiles)
    assert named and all("//" in n.rsplit(" (", 1)[0] and n.rsplit(" (", 1)[0] in names for n in named), err


@pytest.fixture(scope="module")
def analysed(scratch):
    files = corpus()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(files, pool.map(lambda path: analyse(path, scratch), files)))


@pytest.mark.parametrize("path", corpus() if PARSER else [], ids=os.path.basename)
def test_shipped_profile(path, analysed):
    found = analysed[path]
    names = found["names"]
    profiles, err = found["profiles"]
    assert profiles is not None, err
    assert [n for n, _m in profiles] == names

    text, after, err = found["complain"]
    conflicting = [n for n, m in profiles if m in _apparmor.CONFLICTING_MODES]
    if conflicting:
        assert text is None and "mode complain conflicts" in err and conflicting[0] in err
    elif text is None:
        # only a child whose header is not in this file (Debian's pidgin and totem include their sanitized_helper
        # child from abstractions/ubuntu-helpers) may keep its mode
        assert_refused_children(err, profiles)
    else:
        assert after == [(n, "complain") for n in names]
        # the parser's dump of the rewritten text is its dump of the original with --Complain: rules, names and
        # modes; the rewrite set complain on every profile and changed nothing else
        assert found["dump"][0] == 0 and found["forced"][0] == 0, (found["dump"], found["forced"])
        assert found["dump"][1:] == found["forced"][1:], "complain flags differ from --Complain for %s" % path

    enforce, after, err = found["enforce"]
    if enforce is None:
        assert_refused_children(err, profiles)
        return
    assert [n for n, _m in after] == names
    assert all(m != "complain" for _n, m in after)
    if all(m != "complain" for _n, m in profiles):
        assert enforce == found["content"]
    if text is not None:
        assert _apparmor.set_mode(text, "enforce")[0] == enforce


CASES = {
    "one-line": "profile gohost-one /usr/bin/true { /etc/hosts r, }\n",
    "brace-next-line": "abi <abi/3.0>,\ninclude <tunables/global>\nprofile gohost-next /usr/bin/true\n{\n"
                       "  /etc/hosts r,\n}\n",
    "rule-after-brace": "profile gohost-rule /usr/bin/true { /etc/hosts r,\n}\n",
    "include-only": "include <lsb_release>\n",
    "multi": "profile gohost-a /usr/bin/a {\n  /etc/hosts r,\n}\nprofile gohost-b /usr/bin/b { /etc/hosts r, }\n",
}


def test_the_module_through_ansible(tmp_path):
    """The module on the layouts of issue 15, through ansible-playbook, in a scratch policy directory."""
    if not os.path.exists(PLAYBOOK):
        pytest.skip("no ansible-playbook next to %s (run from the venv)" % sys.executable)
    policy = tmp_path / "apparmor.d"
    policy.mkdir()
    for sub in ("abi", "tunables", "abstractions", "lsb_release"):
        os.symlink(os.path.join(BASE, sub), str(policy / sub))
    tasks = []
    for run_no, mode in enumerate(("complain", "complain", "enforce"), 1):
        for case, content in sorted(CASES.items()):
            if case == "include-only" and mode == "complain":
                continue  # its profile is in another file: refused, see test_shipped_profile
            tasks.append({"name": "%s %d" % (case, run_no), "noble.gohost.apparmor_profile": {
                "name": "gohost." + case, "content": content, "mode": mode, "dir": str(policy)}})
    tasks.append({"name": "conflict", "noble.gohost.apparmor_profile": {
        "name": "gohost.kill", "content": "profile gohost-kill /usr/bin/true flags=(kill) {\n}\n",
        "mode": "complain", "dir": str(policy)}, "ignore_errors": True})
    tasks.append({"name": "no space", "noble.gohost.apparmor_profile": {
        "name": "gohost.nospace", "content": "/usr/bin/true{\n}\n", "dir": str(policy)}, "ignore_errors": True})
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    book = tmp_path / "play.yml"
    book.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(TOP, ".cache", "collections"),
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    # cwd=/ : the checkout's ansible.cfg enables profile_tasks, whose output would break the JSON on stdout
    proc = subprocess.run([PLAYBOOK, "-i", "localhost,", "-c", "local", "--diff", str(book)], cwd="/", env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = dict((t["task"]["name"], t["hosts"]["localhost"]) for t in json.loads(proc.stdout)["plays"][0]["tasks"])

    for case, content in CASES.items():
        if case == "include-only":
            continue
        first, second = results[case + " 1"], results[case + " 2"]
        assert first["changed"] and not first.get("failed"), first
        assert set(first["modes"].values()) == {"complain"}, first
        assert "diff" in first
        assert not second["changed"], second  # no kernel here: the file alone, unchanged
    assert results["multi 1"]["profiles"] == ["gohost-a", "gohost-b"]
    assert results["multi 1"]["diff"]["after"] == CASES["multi"].replace(" {", " flags=(complain) {")
    for case, content in CASES.items():
        result = results[case + " 3"]
        assert not result.get("failed"), result
        assert set(result["modes"].values()) == {"enforce"}, result
        with open(str(policy / ("gohost." + case))) as fh:
            assert fh.read() == content
    assert results["include-only 3"]["profiles"] == ["lsb_release"]
    conflict = results["conflict"]
    assert conflict["failed"] and "gohost-kill (flags=(kill))" in conflict["msg"]
    assert not (policy / "gohost.kill").exists()
    nospace = results["no space"]
    assert nospace["failed"] and "unexpected TOK_CLOSE, expecting TOK_OPEN" in nospace["msg"]
    assert nospace["msg"].split("nothing was written: ")[1].startswith("AppArmor parser error")
    assert not (policy / "gohost.nospace").exists()
