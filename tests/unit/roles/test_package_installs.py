# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role task that installs packages goes through noble.gohost.apt_install, the one place that copes with empty
package lists whatever their timestamp (issue 13): no ansible.builtin.apt / package install with cache_valid_time,
which skips the update on empty but recent lists and then finds no package."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INSTALLERS = {"apt", "ansible.builtin.apt", "ansible.legacy.apt", "package", "ansible.builtin.package",
              "ansible.legacy.package"}
COMMANDS = {"command", "shell", "ansible.builtin.command", "ansible.builtin.shell", "ansible.builtin.raw", "raw"}


def tasks_of(items):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks_of(task.get(key))


def role_tasks():
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "**", "*.yml"), recursive=True)):
        with open(path, encoding="utf-8") as fh:
            for task in tasks_of(yaml.safe_load(fh)):
                yield os.path.relpath(path, ROOT), task


def test_no_role_installs_packages_behind_apt_install_s_back():
    bad = []
    for path, task in role_tasks():
        for module in INSTALLERS & set(task):
            args = task[module] if isinstance(task[module], dict) else {}
            if args.get("name") or args.get("pkg") or args.get("package"):
                bad.append("%s: %s uses %s" % (path, task.get("name"), module))
        for module in COMMANDS & set(task):
            text = str(task[module])
            if "apt-get" in text and "install" in text or "apt install" in text:
                bad.append("%s: %s runs an apt install" % (path, task.get("name")))
    assert not bad, bad


def test_apt_install_is_used_by_every_role_that_installs():
    users = {}
    for path, task in role_tasks():
        if "noble.gohost.apt_install" in task:
            users.setdefault(path.split(os.sep)[1], []).append(path)
            args = task["noble.gohost.apt_install"]
            assert set(args) <= {"name", "install_recommends"}, (path, args)
    assert sorted(users) == ["apparmor", "apt_mirror", "go_observability", "go_toolchain", "goproxy"], users
    assert users["goproxy"] == ["roles/goproxy/tasks/vulndb.yml"]
    assert sorted(users["apt_mirror"]) == ["roles/apt_mirror/tasks/aptly.yml", "roles/apt_mirror/tasks/cache.yml"]
