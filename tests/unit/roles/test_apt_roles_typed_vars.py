# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apt_mirror and apt_client: every use of a bool or int option (by its type in meta/argument_specs.yml) in the
tasks, handlers, vars and templates goes through `| bool` / `| int` (or `| to_json` in a message), so that the
roles behave the same when the value comes as a string from `-e name=value`: ansible-core 2.19 refuses a string
as a conditional, and "false" is a true string in a Jinja expression or a JSON file."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
ROLES = ("apt_mirror", "apt_client")
FILTER = {"bool": ("bool", "to_json"), "int": ("int", "to_json")}


def typed_options(role, root=ROOT):
    with open(os.path.join(root, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as fh:
        specs = yaml.safe_load(fh)["argument_specs"]
    return {name: opt["type"] for entry in specs.values() for name, opt in entry["options"].items()
            if opt.get("type") in FILTER}


def unfiltered_uses(role, root=ROOT):
    options = typed_options(role, root)
    found = []
    for sub in ("tasks", "handlers", "vars", "templates"):
        for path in sorted(glob.glob(os.path.join(root, "roles", role, sub, "*"))):
            with open(path, encoding="utf-8") as fh:
                for number, line in enumerate(fh, 1):
                    if re.match(r"^\s*(#|- name:|name:)", line):
                        continue  # comments and task names only mention the variables
                    for name, kind in options.items():
                        # "name=" is the label of a value in a message, "name is defined" a test: not uses
                        for match in re.finditer(r"\b%s\b(?!=)(?!\s+is\s+(?:not\s+)?defined)(\s*\|\s*(\w+))?"
                                                 % re.escape(name), line):
                            if match.group(2) not in FILTER[kind]:
                                found.append("%s:%d: %s (%s) without | %s" % (
                                    os.path.relpath(path, root), number, name, kind, FILTER[kind][0]))
    return found


@pytest.mark.parametrize("role", ROLES)
def test_typed_options_found(role):
    # the check below means something only if the specs have such options
    assert typed_options(role)


@pytest.mark.parametrize("role", ROLES)
def test_bool_and_int_options_are_filtered(role):
    assert unfiltered_uses(role) == []


def test_the_check_finds_an_unfiltered_use(tmp_path):
    role = tmp_path / "roles" / "r"
    (role / "meta").mkdir(parents=True)
    (role / "tasks").mkdir()
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    options:\n      r_flag: {type: bool}\n      r_n: {type: int}\n")
    (role / "tasks" / "main.yml").write_text(
        "- name: Uses r_flag\n  ansible.builtin.debug:\n    msg: \"r_n={{ r_n | int }} {{ r_n }}\"\n"
        "  when: r_flag\n")
    assert unfiltered_uses("r", str(tmp_path)) == [
        "roles/r/tasks/main.yml:3: r_n (int) without | int",
        "roles/r/tasks/main.yml:4: r_flag (bool) without | bool"]
