# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_apparmor helpers: mode flags in profile headers, securityfs parsing, kernel status from fixture trees."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _apparmor

from ..modules.apparmor_replay import ReplayParser

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apparmor")


def sys_paths(kind):
    root = os.path.join(FIXTURES, kind, "sys")
    return os.path.join(root, "kernel", "security", "apparmor"), os.path.join(root, "module", "apparmor")


@pytest.mark.parametrize("header,mode,expected", [
    ("profile a /usr/bin/a {", "complain", "profile a /usr/bin/a flags=(complain) {"),
    ("profile a /usr/bin/a flags=(complain) {", "enforce", "profile a /usr/bin/a {"),
    ("/usr/bin/a flags=(attach_disconnected, complain) {", "enforce", "/usr/bin/a flags=(attach_disconnected) {"),
    ("/usr/bin/a flags=(attach_disconnected) {", "complain", "/usr/bin/a flags=(attach_disconnected, complain) {"),
    # unchanged flags: the header stays as it is
    ("profile b flags = ( unconfined ) {", "enforce", "profile b flags = ( unconfined ) {"),
    ("profile a /usr/bin/a flags=(complain) {  # learning", "complain",
     "profile a /usr/bin/a flags=(complain) {  # learning"),
    # what the parser accepts and a line scanner did not
    ("profile x flags=(complain){", "enforce", "profile x {"),
    ("/usr/bin/a (complain) {", "enforce", "/usr/bin/a {"),
    ("profile x /usr/bin/x xattrs=(user.foo=bar) {", "complain",
     "profile x /usr/bin/x xattrs=(user.foo=bar) flags=(complain) {"),
    ('"/usr/bin/x y" {', "complain", '"/usr/bin/x y" flags=(complain) {'),
    ("profile x /usr/bin/x flags=(enforce) {", "complain", "profile x /usr/bin/x flags=(complain) {"),
])
def test_set_mode_on_headers(header, mode, expected):
    text, headers = _apparmor.set_mode(header + "\n}\n", mode)
    assert headers == 1
    assert text.splitlines()[0] == expected


@pytest.mark.parametrize("content,expected", [
    ("profile x /usr/bin/true { /etc/hosts r, }\n", "profile x /usr/bin/true flags=(complain) { /etc/hosts r, }\n"),
    ("profile x /usr/bin/true\n{\n}\n", "profile x /usr/bin/true flags=(complain)\n{\n}\n"),
    ("profile x /usr/bin/true # a comment\n{\n}\n", "profile x /usr/bin/true flags=(complain) # a comment\n{\n}\n"),
    ("profile a /a {\n  /etc/hosts r,\n}\nprofile b /b { /etc/hosts r, }\n",
     "profile a /a flags=(complain) {\n  /etc/hosts r,\n}\nprofile b /b flags=(complain) { /etc/hosts r, }\n"),
    ("profile x {}\n", "profile x flags=(complain) {}\n"),
], ids=["one-line", "brace-next-line", "comment-before-brace", "multi-then-one-line", "empty"])
def test_set_mode_on_layouts_the_parser_accepts(content, expected):
    assert _apparmor.set_mode(content, "complain") == (expected, expected.count("flags=(complain)"))
    assert _apparmor.set_mode(expected, "enforce")[0] == content


def test_set_mode_sets_children_and_hats_and_leaves_other_blocks_alone():
    text = (
        "abi <abi/3.0>,\n"
        "#include <tunables/global>\n"
        "@{GOROOT} = /usr/local/go\n"
        "@{GOBIN} = {/usr/local/go/bin,/opt/go/bin}\n"
        "# profile commented {\n"
        "profile one /bin/one {\n"
        "  @{GOROOT}/{bin,pkg}/** r,\n"
        "  /etc/a#b r,\n"
        "  owner { /tmp/** rw, }\n"
        "  if defined @{GOROOT} {\n"
        "  } else {\n"
        "  }\n"
        "  profile child {\n"
        "  }\n"
        "  ^hat {\n"
        "  }\n"
        "  hat other {\n"
        "  }\n"
        "}\n"
        "profile two {\n"
        "}\n"
    )
    out, headers = _apparmor.set_mode(text, "complain")
    assert headers == 5
    lines = out.splitlines()
    assert lines[5] == "profile one /bin/one flags=(complain) {"
    assert lines[8] == "  owner { /tmp/** rw, }" and lines[9] == "  if defined @{GOROOT} {"
    assert lines[12] == "  profile child flags=(complain) {" and lines[14] == "  ^hat flags=(complain) {"
    assert lines[16] == "  hat other flags=(complain) {"
    assert lines[19] == "profile two flags=(complain) {"
    assert lines[4] == "# profile commented {" and lines[1] == "#include <tunables/global>"
    assert _apparmor.set_mode(out, "enforce")[0] == text


def test_set_mode_rejects_other_modes():
    with pytest.raises(ValueError):
        _apparmor.set_mode("profile a {\n}\n", "disabled")


NOISE = "Cache read/write disabled: interface file missing. (Kernel needs AppArmor 2.4 compatibility patch.)\n"


@pytest.mark.parametrize("out,err,expected", [
    ("", NOISE + "AppArmor parser error for /x in profile /x at line 2: syntax error\n",
     "AppArmor parser error for /x in profile /x at line 2: syntax error"),
    ("", NOISE + "Warning: unable to find a suitable fs in /proc/mounts, is it mounted?\nUse --subdomainfs to override.\n",
     NOISE.strip() + "\nWarning: unable to find a suitable fs in /proc/mounts, is it mounted?\n"
     "Use --subdomainfs to override."),  # nothing but noise: all of it, it is all there is
    ("profile x: has merged rule /bin/a with conflicting x modifiers\n", NOISE,
     "profile x: has merged rule /bin/a with conflicting x modifiers"),
])
def test_clean_message_puts_the_real_error_first(out, err, expected):
    assert _apparmor.clean_message(out, err) == expected


def parser_for(tmp_path, content):
    path = tmp_path / "profile"
    path.write_text(content)
    replay = ReplayParser(str(tmp_path))
    return _apparmor.Parser(replay, "/sbin/apparmor_parser", "/etc/apparmor.d"), str(path)


def test_parser_profiles_pairs_names_and_modes(tmp_path):
    parser, path = parser_for(tmp_path, (
        "profile p /usr/bin/p flags=(complain) {\n"
        "  profile /etc/init.d/nscd flags=(kill) {\n  }\n"
        "  ^hat {\n  }\n"
        "}\n"
        "profile q /usr/bin/q flags=(unconfined) {\n}\n"))
    profiles, err = parser.profiles(path)
    assert err == ""
    assert profiles == [("p", "complain"), ("p///etc/init.d/nscd", "kill"), ("p//hat", "enforce"),
                        ("q", "unconfined")]


def test_parser_profiles_refuses_outputs_it_cannot_pair():
    class Module(object):
        def run_command(self, args):
            if "--names" in args:
                return 0, "a\nb\n", ""
            return 0, "Name:\t\ta\n", NOISE + "Mode: complain\n"

    profiles, err = _apparmor.Parser(Module(), "/sbin/apparmor_parser", "/etc/apparmor.d").profiles("/x")
    assert profiles is None and "cannot tell the modes of the profiles apart" in err


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
