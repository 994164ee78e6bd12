# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.apt_install on THIS machine, through `ansible` in check mode (nothing is installed or updated):
the real dpkg-query command and its parsing, and apt's answer for a package no list has.

Run with `make unit` (or `pytest tests/integration`); needs the venv's `ansible`, `make collection` and dpkg.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil

import pytest

import adhoc


pytestmark = pytest.mark.skipif(not shutil.which("dpkg-query") or not shutil.which("apt-get"),
                                reason="not a dpkg/apt machine")


def run_check(args):
    return adhoc.run_module("apt_install", args, check=True, python="/usr/bin/python3", timeout=300)[1]


def test_installed_packages_are_no_change_and_run_no_apt():
    result = run_check({"name": ["dpkg", "bash", "coreutils"]})
    assert not result.get("failed"), result
    assert not result["changed"] and result["missing"] == [] and not result["cache_updated"]
    assert result["msg"] == "installed already: dpkg, bash, coreutils"
    assert "stdout" not in result  # apt never ran


def test_a_package_no_list_has_is_a_change_in_check_mode_not_a_failure():
    result = run_check({"name": ["bash", "gohost-nonesuch-package"]})
    assert not result.get("failed"), result
    assert result["changed"] and result["missing"] == ["gohost-nonesuch-package"] and not result["cache_updated"]
    assert result["msg"].startswith("would update the package lists and install gohost-nonesuch-package"), result
