# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_apparmor helpers: mode flags in profile headers, securityfs parsing, kernel status from fixture trees."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _apparmor

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apparmor")


def sys_paths(kind):
    root = os.path.join(FIXTURES, kind, "sys")
    return os.path.join(root, "kernel", "security", "apparmor"), os.path.join(root, "module", "apparmor")


@pytest.mark.parametrize("header,mode,expected", [
    ("profile a /usr/bin/a {", "complain", "profile a /usr/bin/a flags=(complain) {"),
    ("profile a /usr/bin/a flags=(complain) {", "enforce", "profile a /usr/bin/a {"),
    ("/usr/bin/a flags=(attach_disconnected, complain) {", "enforce", "/usr/bin/a flags=(attach_disconnected) {"),
    ("/usr/bin/a flags=(attach_disconnected) {", "complain", "/usr/bin/a flags=(complain,attach_disconnected) {"),
    ("profile b flags = ( unconfined ) {", "enforce", "profile b flags=(unconfined) {"),
    ("profile a /usr/bin/a flags=(complain) {  # learning", "complain",
     "profile a /usr/bin/a flags=(complain) {  # learning"),
])
def test_set_mode_on_headers(header, mode, expected):
    text, headers = _apparmor.set_mode(header + "\n}\n", mode)
    assert headers == 1
    assert text.splitlines()[0] == expected


def test_set_mode_leaves_children_variables_and_includes_alone():
    text = (
        "abi <abi/3.0>,\n"
        "#include <tunables/global>\n"
        "@{GOROOT} = /usr/local/go\n"
        "# profile commented {\n"
        "profile one /bin/one {\n"
        "  @{GOROOT}/{bin,pkg}/** r,\n"
        "  profile child {\n"
        "  }\n"
        "  ^hat {\n"
        "  }\n"
        "}\n"
        "profile two {\n"
        "}\n"
    )
    out, headers = _apparmor.set_mode(text, "complain")
    assert headers == 2
    lines = out.splitlines()
    assert lines[4] == "profile one /bin/one flags=(complain) {"
    assert lines[6] == "  profile child {" and lines[8] == "  ^hat {"
    assert lines[11] == "profile two flags=(complain) {"
    assert lines[3] == "# profile commented {" and lines[1] == "#include <tunables/global>"
    assert _apparmor.set_mode(out, "enforce")[0] == text


def test_set_mode_rejects_other_modes():
    with pytest.raises(ValueError):
        _apparmor.set_mode("profile a {\n}\n", "disabled")


def test_loaded_profiles_parses_names_with_modes():
    securityfs = sys_paths("enabled")[0]
    loaded = _apparmor.loaded_profiles(securityfs)
    assert loaded["nvidia_modprobe//kmod"] == "enforce"
    assert loaded["gohost-old"] == "complain"
    assert loaded["buildkitd"] == "unconfined"
    assert loaded["/usr/bin/man"] == "enforce"


def test_loaded_profiles_unreadable_is_empty():
    securityfs = sys_paths("nokernel")[0]
    assert _apparmor.loaded_profiles(securityfs) == {}


@pytest.mark.parametrize("kind,ok,reason", [
    ("enabled", True, ""),
    ("disabled", False, "not enabled"),
    ("nokernel", False, "has no AppArmor"),
])
def test_kernel_status(kind, ok, reason):
    securityfs, sysmodule = sys_paths(kind)
    status, why = _apparmor.kernel_status(securityfs, sysmodule)
    assert status is ok
    assert reason in why
