# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts as the hub (docs/go_toolchain.md): the defaults of goproxy_go_binary, go_service_go_binary and the apparmor
toolchain profile come from the go_toolchain fact (go_toolchain_fact in the same play, else
ansible_local.go_toolchain), else from the former fixed paths. Templated by the ansible-core of this Python from
the roles' own defaults files (vars_files), so `make compat` proves them on 2.16 and 2.21 too."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
NAMES = ["go_service_go_binary", "goproxy_go_binary", "apparmor_toolchain_attach", "apparmor_toolchain_goroots"]
FACT = {"go_binary": "/opt/tc/bin/go", "root": "/opt/tc/lib"}
LOCAL = {"go_toolchain": {"go_binary": "/srv/bin/go", "root": "/srv/lib"}}
CASES = {
    "no fact": {},
    "the play's fact": {"go_toolchain_fact": FACT, "ansible_local": LOCAL},
    "a later run's local fact": {"ansible_local": LOCAL},
    "a local fact of another role only": {"ansible_local": {"other": {}}},
    "a local fact written before go_binary": {"ansible_local": {"go_toolchain": {"root": "/srv/lib"}}},
    "an empty fact": {"go_toolchain_fact": {"go_binary": "", "root": ""}},
    "the user's value": {"go_toolchain_fact": FACT, "go_service_go_binary": "/mine/go"},
}


def debug_msgs(tmp, plays):
    """Run the plays (each one debug task) with the ansible-core of this Python; {play name: the task's msg}."""
    (tmp / "play.yml").write_text(json.dumps(plays))
    (tmp / "ansible.cfg").write_text("[defaults]\nstdout_callback = ansible.builtin.json\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([PLAYBOOK, "-i", "localhost,", "-c", "local", str(tmp / "play.yml")], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    out = json.loads(proc.stdout)
    return dict((p["play"]["name"], p["tasks"][0]["hosts"]["localhost"]["msg"]) for p in out["plays"])


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub")
    files = [os.path.join(ROOT, "roles", r, "defaults", "main.yml") for r in ("go_service", "goproxy", "apparmor")]
    plays = []
    for label, given in CASES.items():
        user = {k: v for k, v in given.items() if k in NAMES}
        plays.append({"name": label, "hosts": "localhost", "gather_facts": False, "vars_files": files,
                      "vars": {k: v for k, v in given.items() if k not in NAMES},
                      "tasks": [{"name": "show", "ansible.builtin.debug": {
                          "msg": dict((n, "{{ %s }}" % n) for n in NAMES)}, "vars": user}]})
    return debug_msgs(tmp, plays)


@pytest.mark.parametrize("label, want", [
    ("no fact", ("/usr/local/bin/go", "/usr/local/lib/go")),
    ("the play's fact", ("/opt/tc/bin/go", "/opt/tc/lib")),
    ("a later run's local fact", ("/srv/bin/go", "/srv/lib")),
    ("a local fact of another role only", ("/usr/local/bin/go", "/usr/local/lib/go")),
    ("a local fact written before go_binary", ("/usr/local/bin/go", "/srv/lib")),
    # never an empty path: a profile attached to /go*/bin/go would confine nothing
    ("an empty fact", ("/usr/local/bin/go", "/usr/local/lib/go")),
])
def test_defaults_come_from_the_toolchain_fact(resolved, label, want):
    got = resolved[label]
    go, root = want
    assert got["go_service_go_binary"] == go and got["goproxy_go_binary"] == go, got
    assert got["apparmor_toolchain_attach"] == root + "/go*/bin/{go,gofmt}", got
    assert got["apparmor_toolchain_goroots"] == [root], got


def test_a_value_the_user_sets_wins(resolved):
    got = resolved["the user's value"]
    assert got["go_service_go_binary"] == "/mine/go" and got["goproxy_go_binary"] == "/opt/tc/bin/go", got


SERVICES = [{"name": "api", "binary": {"source": "file", "src": "files/api"}},
            {"name": "tool", "binary": {"source": "go_install", "package": "example.com/tool/v2/cmd/tool@v2.0.1"}}]
APPARMOR_CASES = {
    "derived from go_service_services": ({"go_service_services": SERVICES},
                                         [{"name": "api"}, {"name": "tool", "mode": "complain"}]),
    "under another go_service_root": ({"go_service_services": SERVICES, "go_service_root": "/srv/svc"},
                                      [{"name": "api"}]),
    "the user's binary wins": ({"go_service_services": SERVICES}, [{"name": "api", "binary": "/usr/bin/api"}]),
    "no such service": ({"go_service_services": SERVICES}, [{"name": "other"}]),
}


@pytest.fixture(scope="module")
def apparmor_services(tmp_path_factory):
    """__apparmor_services (apparmor's vars/main.yml) templated from each case's go_service_services."""
    tmp = tmp_path_factory.mktemp("aa")
    files = [os.path.join(ROOT, "roles", "apparmor", "vars", "main.yml")]  # vars_files would override play vars
    plays = [{"name": label, "hosts": "localhost", "gather_facts": False, "vars_files": files,
              "vars": dict(given, apparmor_services=services),
              "tasks": [{"name": "show", "ansible.builtin.debug": {"msg": "{{ __apparmor_services }}"}}]}
             for label, (given, services) in APPARMOR_CASES.items()]
    return debug_msgs(tmp, plays)


@pytest.mark.parametrize("label, want", [
    ("derived from go_service_services", [{"name": "api", "binary": "/opt/go-services/api/releases/*/api"},
                                          {"name": "tool", "mode": "complain",
                                           "binary": "/opt/go-services/tool/releases/*/tool"}]),
    ("under another go_service_root", [{"name": "api", "binary": "/srv/svc/api/releases/*/api"}]),
    ("the user's binary wins", [{"name": "api", "binary": "/usr/bin/api"}]),
    # no binary: the role's check refuses it, naming the entry
    ("no such service", [{"name": "other"}]),
])
def test_apparmor_attaches_to_the_go_service_releases(apparmor_services, label, want):
    assert apparmor_services[label] == want
