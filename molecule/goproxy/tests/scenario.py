# -*- coding: utf-8 -*-
"""What both test files of the goproxy scenario need: the hosts, the mode playbooks run from the verifier, the
environment of a unit's main process, shell quoting."""
import os
import subprocess

import testinfra

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLATFORM = os.environ.get("GOHOST_PLATFORM", "bookworm")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
PROXY = testinfra.get_host("ansible://gohost-goproxy-proxy-%s" % PLATFORM, ansible_inventory=INVENTORY)
CLIENT = testinfra.get_host("ansible://gohost-goproxy-client-%s" % PLATFORM, ansible_inventory=INVENTORY)


def run_playbook(name, offline):
    """Run <scenario>/<name> against the scenario's inventory with -e goproxy_offline=<offline>; its output."""
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(PROJECT, ".cache", "collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"  # molecule sets it true when run without make
    proc = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, os.path.join(SCENARIO, name),
         "-e", "goproxy_offline=%s" % ("true" if offline else "false")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def service_env(host, unit):
    """(pid, uid, environment) of the unit's main process."""
    pid = host.check_output("systemctl show -p MainPID --value %s" % unit)
    assert pid not in ("", "0"), "%s has no main process" % unit
    raw = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid)
    env = dict(line.split("=", 1) for line in raw.splitlines() if "=" in line)
    return pid, int(host.check_output("stat -c %%u /proc/%s" % pid)), env


def shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"
