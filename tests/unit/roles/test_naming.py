# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One naming convention for the roles' internal variables (docs/developing.md, "Internal variables"):

- what a role registers, sets with set_fact, or defines in vars/main.yml or on a block is `__<role>_*` (a fact
  it publishes for others is public: `<role>_*`);
- a task's own `vars:` and `loop_var` may be short `_name`s: they live only within that task;
- no `_<role>_*` (one underscore) anywhere, the other convention the tree once mixed in.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "roles", "*")) if os.path.isdir(p))
SET_FACT = ("set_fact", "ansible.builtin.set_fact")


def walk(tasks, where):
    """(where, task, is_block) for every task and block, nested ones too."""
    for index, task in enumerate(tasks or []):
        if not isinstance(task, dict):
            continue
        here = "%s[%d] %s" % (where, index, task.get("name", ""))
        is_block = any(k in task for k in ("block", "rescue", "always"))
        yield here, task, is_block
        for key in ("block", "rescue", "always"):
            if key in task:
                yield from walk(task[key], here + "." + key)


def problems(role):
    out = []
    ok = re.compile(r"^(__%s_|%s_)" % (role, role))
    internal = re.compile(r"^__%s_" % role)
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml"))
                       + glob.glob(os.path.join(ROOT, "roles", role, "handlers", "*.yml"))):
        rel = os.path.relpath(path, ROOT)
        with open(path) as handle:
            tasks = yaml.safe_load(handle) or []
        for here, task, is_block in walk(tasks, rel):
            reg = task.get("register")
            if reg and not internal.match(reg):
                out.append("%s: register %s" % (here, reg))
            for key in SET_FACT:
                for name in (task.get(key) or {}) if isinstance(task.get(key), dict) else []:
                    if name != "cacheable" and not ok.match(name):
                        out.append("%s: set_fact %s" % (here, name))
            if is_block:
                for name in task.get("vars") or {}:
                    if not internal.match(name):
                        out.append("%s: block vars %s" % (here, name))
    vars_file = os.path.join(ROOT, "roles", role, "vars", "main.yml")
    if os.path.exists(vars_file):
        with open(vars_file) as handle:
            for name in yaml.safe_load(handle) or {}:
                if not internal.match(name):
                    out.append("%s: %s" % (os.path.relpath(vars_file, ROOT), name))
    single = re.compile(r"(?<![\w.])_(%s)_[a-z]" % "|".join(ROLES))
    for path in glob.glob(os.path.join(ROOT, "roles", role, "**", "*"), recursive=True):
        if os.path.isfile(path) and path.endswith((".yml", ".j2", ".py")):
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if single.search(line):
                        out.append("%s:%d: one underscore: %s" % (os.path.relpath(path, ROOT), number, line.strip()))
    return out


@pytest.mark.parametrize("role", ROLES)
def test_internal_variables_follow_the_convention(role):
    assert problems(role) == []


def test_the_check_finds_what_it_looks_for(tmp_path, monkeypatch):
    """A role with each kind of wrong name: every one is reported."""
    role = tmp_path / "roles" / "demo"
    (role / "tasks").mkdir(parents=True)
    (role / "vars").mkdir()
    (role / "tasks" / "main.yml").write_text(
        "- name: a\n  ansible.builtin.command: 'true'\n  register: result\n"
        "- name: b\n  ansible.builtin.set_fact:\n    _demo_x: 1\n    demo_public: 2\n    __demo_ok: 3\n"
        "- name: c\n  vars:\n    wide: 1\n  block:\n    - name: d\n      ansible.builtin.debug:\n"
        "        msg: '{{ _demo_y }}'\n      register: __demo_fine\n")
    (role / "vars" / "main.yml").write_text("demo_computed: 1\n__demo_computed: 2\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", str(tmp_path))
    monkeypatch.setattr(sys.modules[__name__], "ROLES", ["demo"])
    found = problems("demo")
    assert any("register result" in f for f in found)
    assert any("set_fact _demo_x" in f for f in found) and not any("demo_public" in f for f in found)
    assert any("block vars wide" in f for f in found)
    assert any(f.endswith("vars/main.yml: demo_computed") for f in found)
    assert any("one underscore" in f and "_demo_y" in f for f in found)
    assert not any("__demo_ok" in f or "__demo_fine" in f for f in found)
