# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_observability main: the dpkg-query command and the list of missing packages, rendered from the role's own
tasks with ansible's templating: apt (and its package list refresh) runs only for what dpkg does not have
installed, so a host or image that already has bpftrace needs no mirror."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")


def task(name):
    with open(os.path.join(ROOT, "roles", "go_observability", "tasks", "main.yml"), encoding="utf-8") as fh:
        tasks = yaml.safe_load(fh)
    found = [t for t in tasks if t.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def render(template, variables):
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(template))


def missing(packages, dpkg_stdout):
    install = task("Install bpftrace")
    variables = {"go_observability_packages": packages,
                 "_go_observability_dpkg": {"stdout_lines": dpkg_stdout.splitlines()}}
    return render(install["vars"]["_go_observability_missing"], variables)


def test_dpkg_query_command():
    argv = render(task("Look for the packages already installed (read-only)")["ansible.builtin.command"]["argv"],
                  {"go_observability_packages": ["bpftrace", "linux-headers-amd64"]})
    argv = list(argv)
    # dpkg-query expands the escape itself, so a backslash-n and a newline are the same to it
    assert argv[3].replace("\\n", "\n") == "${Package} ${db:Status-Status}\n"
    assert argv[:3] + argv[4:] == ["dpkg-query", "-W", "-f", "bpftrace", "linux-headers-amd64"]


@pytest.mark.parametrize("stdout, expected", [
    ("bpftrace installed\n", []),
    ("", ["bpftrace"]),  # dpkg has never heard of it (rc 1, nothing on stdout)
    ("bpftrace config-files\n", ["bpftrace"]),  # removed, configuration left
    ("bpftrace not-installed\n", ["bpftrace"]),
])
def test_missing_packages(stdout, expected):
    assert list(missing(["bpftrace"], stdout)) == expected


def test_only_the_missing_ones_of_several():
    assert list(missing(["bpftrace", "linux-headers-amd64"], "bpftrace installed\n")) == ["linux-headers-amd64"]


def test_apt_runs_only_when_something_is_missing():
    when = task("Install bpftrace")["when"]
    assert "_go_observability_missing | length > 0" in when
