# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One module of the collection run on THIS machine the way a user runs it: `ansible localhost -m noble.gohost.X`
from the venv, with the JSON callback, against the collection `make collection` installed in .cache/collections.
Shared by the integration tests (tests/integration/test_*_host.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANSIBLE = os.path.join(os.path.dirname(sys.executable), "ansible")


def run_module(module, args, check=False, python=None, timeout=None):
    """(returncode, the host's result dict) of `ansible all -i localhost, -c local -m noble.gohost.<module>`."""
    if not os.path.exists(ANSIBLE):
        pytest.skip("no ansible next to %s (run from the venv)" % sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(TOP, ".cache", "collections"),
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_PYTHON_INTERPRETER=python or sys.executable)
    cmd = [ANSIBLE, "all", "-i", "localhost,", "-c", "local", "-m", "noble.gohost." + module, "-a", json.dumps(args)]
    if check:
        cmd.append("--check")
    # cwd=/ : the checkout's ansible.cfg enables profile_tasks, whose output would break the JSON on stdout
    proc = subprocess.run(cmd, cwd="/", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout, check=False)
    try:
        result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        pytest.fail("ansible -m noble.gohost.%s gave no JSON result (rc %d): %s%s"
                    % (module, proc.returncode, proc.stdout, proc.stderr))
    return proc.returncode, result
