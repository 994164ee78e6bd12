# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_service role: the unit template rendered by Ansible itself (ansible-playbook, the template lookup, the role's
defaults and vars files, each service merged over go_service_service_defaults as tasks/service.yml does), next to
what the role's value check (the go_service_errors filter) says of the same service. Where systemd-analyze is
installed, the units go through `systemd-analyze verify`: systemd refuses Type=dbus without BusName=, which is why
the check requires bus_name with type dbus, and refuses Type=oneshot with Restart=always, a pair the check lets
through (the Molecule scenario relies on verify catching it)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import render_plays  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "go_service")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
EXEC = "/bin/true"  # ExecStart= must be an executable for verify

BASE = {"binary": {"source": "file", "src": "/tmp/api"}}
# name -> (service, errors expected from the check: substrings, or [] for none)
VARIANTS = {
    "api-dbus": (dict(BASE, name="api", type="dbus", bus_name="org.example.Api"), []),
    "api-dbus-dashes": (dict(BASE, name="api", type="dbus", bus_name="com.example-corp._api.v2"), []),
    "api-exec": (dict(BASE, name="api"), []),
    "api-exec-empty-bus-name": (dict(BASE, name="api", bus_name=""), []),
    "api-dbus-no-bus-name": (dict(BASE, name="api", type="dbus"),
                             ["go_service_services[0] (api): type dbus needs bus_name (the D-Bus name the service "
                              "takes, BusName=)"]),
    "api-notify-bus-name": (dict(BASE, name="api", type="notify", bus_name="org.example.Api"),
                            ["go_service_services[0] (api).bus_name is only for type dbus"]),
    "api-oneshot-always": (dict(BASE, name="api", type="oneshot", restart="always"), []),
    "api-dbus-255-chars": (dict(BASE, name="api", type="dbus", bus_name="org." + "a" * 251), []),
    # what noble.gohost.syscall_allowlist returns by default: filter (@system-service and what the trace saw
    # outside it) and log ("~", @default and what the trace saw: every other call the unit makes is logged)
    "api-syscall-log": (dict(BASE, name="api", syscall_filter=["@system-service", "pidfd_getfd"],
                             syscall_log=["~@default", "@signal", "accept4", "epoll_ctl", "pidfd_getfd"]), []),
    "api-syscall-log-bad": (dict(BASE, name="api", syscall_filter=["@system-service"],
                                 syscall_log=["@signal", "~accept4"]),
                            ["go_service_services[0] (api).syscall_log must hold system call names and @groups (a "
                             "'~' only before the first, as systemd reads it), got '~accept4'"]),
    "api-syscall-filter-bad": (dict(BASE, name="api", syscall_filter="@system-service"),
                               ["go_service_services[0] (api).syscall_filter must be a list of system call names "
                                "and @groups, got '@system-service'"]),
}
# Names the check refuses, rendered anyway: systemd must refuse them too (BusName= ignored, then Type=dbus refused).
BAD_BUS_NAMES = ["org", "org.1example", "org..example", ".org.example", "org.example.", "org.example.Api!",
                 "org.exämple", "org." + "a" * 252]
for _i, _bad in enumerate(BAD_BUS_NAMES):
    VARIANTS["api-dbus-bad-%d" % _i] = (dict(BASE, name="api", type="dbus", bus_name=_bad),
                                        ["go_service_services[0] (api).bus_name is not a valid D-Bus well-known name"])


def _play(name, svc, out):
    varfile = os.path.join(out, name + ".json")
    with open(varfile, "w") as handle:
        json.dump({"__go_service_item": svc}, handle)
    template = os.path.join(ROLE, "templates", "go-service.service.j2")
    return {"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars_files": [os.path.join(ROLE, "defaults", "main.yml"), os.path.join(ROLE, "vars", "main.yml"),
                           varfile],
            "vars": {"__go_service_svc": "{{ go_service_service_defaults | combine(__go_service_item) }}",
                     "__go_service_exec_path": EXEC, "__go_service_env": {}},
            "tasks": [{"name": "render", "ansible.builtin.debug": {"msg": {
                "unit": "{{ lookup('ansible.builtin.template', %r) }}" % template,
                "errors": "{{ [__go_service_item] | noble.gohost.go_service_errors("
                          "defaults=go_service_service_defaults) }}"}}}]}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if not os.path.exists(PLAYBOOK):
        pytest.skip("ansible-playbook is not next to %s (run from the venv: make unit)" % sys.executable)
    out = str(tmp_path_factory.mktemp("go-service-unit"))
    plays = [_play(name, svc, out) for name, (svc, _expect) in VARIANTS.items()]
    results = {}
    for play in render_plays.run_plays(plays, out):
        name = play["play"]["name"]
        msg = play["tasks"][0]["hosts"]["localhost"]["msg"]
        os.mkdir(os.path.join(out, name))
        path = os.path.join(out, name, "api.service")
        with open(path, "w") as handle:
            handle.write(msg["unit"] + "\n")
        results[name] = {"unit": msg["unit"], "errors": msg["errors"], "path": path}
    return results


def _values(unit, key):
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(key + "=")]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_check_says_what_is_expected(rendered, name):
    errors = rendered[name]["errors"]
    expected = VARIANTS[name][1]
    assert len(errors) == len(expected), errors
    for part in expected:
        assert any(part in error for error in errors), (part, errors)


def test_bus_name_rendered_after_type(rendered):
    for name in ("api-dbus", "api-dbus-dashes"):
        lines = rendered[name]["unit"].splitlines()
        assert _values(rendered[name]["unit"], "Type") == ["dbus"]
        assert _values(rendered[name]["unit"], "BusName") == [VARIANTS[name][0]["bus_name"]]
        assert lines[lines.index("Type=dbus") + 1] == "BusName=" + VARIANTS[name][0]["bus_name"]
        assert lines.index("[Service]") < lines.index("Type=dbus")


def test_syscall_log_rendered(rendered):
    unit = rendered["api-syscall-log"]["unit"]
    assert _values(unit, "SystemCallFilter") == ["@system-service pidfd_getfd"]
    assert _values(unit, "SystemCallErrorNumber") == ["EPERM"]
    assert _values(unit, "SystemCallLog") == ["~@default @signal accept4 epoll_ctl pidfd_getfd"]
    assert _values(rendered["api-exec"]["unit"], "SystemCallLog") == []  # none by default


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine")
def test_systemd_reads_the_syscall_log(rendered, tmp_path):
    """systemd (247 and later) knows SystemCallLog= and its '~' form: verify does not call it unknown, while it does
    complain of a misspelt group in it (so the check below can fail)."""
    rc, lines = _verify(rendered["api-syscall-log"]["path"])
    assert (rc, lines) == (0, []), lines
    bad = tmp_path / "api.service"
    with open(rendered["api-syscall-log"]["path"]) as handle:
        bad.write_text(handle.read().replace("SystemCallLog=~@default", "SystemCallLog=~@defualt"))
    _rc, lines = _verify(str(bad))
    assert any("@defualt" in line for line in lines), lines


def test_no_bus_name_without_one(rendered):
    for name in ("api-exec", "api-exec-empty-bus-name", "api-dbus-no-bus-name"):
        assert _values(rendered[name]["unit"], "BusName") == [], name
    assert _values(rendered["api-exec"]["unit"], "Type") == ["exec"]  # the default


def _verify(path):
    proc = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", path], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    # As in test_goproxy_templates: the one complaint of verify run inside a container, whatever the unit.
    lines = [line for line in proc.stdout.splitlines() if line.strip() and not line.endswith(
        ".service: Failed to create %s/start: Invalid argument" % os.path.basename(path))]
    return proc.returncode, lines


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine")
@pytest.mark.parametrize("name", [name for name, (_svc, expect) in VARIANTS.items()
                                  if not expect and name != "api-oneshot-always"])  # includes 255 characters
def test_units_the_check_accepts_pass_verify(rendered, name):
    rc, lines = _verify(rendered[name]["path"])
    assert (rc, lines) == (0, []), lines


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine")
@pytest.mark.parametrize("index", range(len(BAD_BUS_NAMES)))
def test_systemd_refuses_the_bus_names_the_check_refuses(rendered, index):
    name = "api-dbus-bad-%d" % index
    assert _values(rendered[name]["unit"], "BusName") == [BAD_BUS_NAMES[index]]
    rc, lines = _verify(rendered[name]["path"])
    assert rc != 0
    # "Invalid bus name, ignoring: <name>" (above 255 characters: "Failed to resolve unit specifiers in <name>,
    # ignoring", the length limit of the specifier expansion)
    assert any(BAD_BUS_NAMES[index] in line and "ignoring" in line for line in lines), lines
    assert any("no D-Bus service name has been specified" in line for line in lines), lines


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine")
@pytest.mark.parametrize("name, refusal", [
    ("api-dbus-no-bus-name", "Service is of type D-Bus but no D-Bus service name has been specified. Refusing."),
    ("api-oneshot-always", "Service has Restart= set to either always or on-success, which isn't allowed for "
                           "Type=oneshot services. Refusing."),
])
def test_systemd_refuses(rendered, name, refusal):
    rc, lines = _verify(rendered[name]["path"])
    assert rc != 0
    assert any(re.search(re.escape(refusal), line) for line in lines), lines
