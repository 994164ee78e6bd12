# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What several benchmarks share (not a benchmark itself: `make bench` runs benchmarks/[!_]*.py)."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


def ping_playbook(hosts):
    """A play with one ping task and no facts: the least any playbook run costs."""
    return ("---\n- name: Ping\n  hosts: %s\n  gather_facts: false\n  tasks:\n    - name: Ping\n"
            "      ansible.builtin.ping:\n" % hosts)


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
