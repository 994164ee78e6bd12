# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apparmor_profile against fixture trees of /sys (tests/unit/fixtures/apparmor) and apparmor_parser's recorded
outputs (apparmor_replay.py: real outputs of Debian 12's parser, replayed by file content; loading and unloading
update the fixture's securityfs ``profiles`` file with the recorded names and modes).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest

from ansible.module_utils import basic
from ansible_collections.noble.gohost.plugins.module_utils import _apparmor
from ansible_collections.noble.gohost.plugins.modules import apparmor_profile

from .apparmor_replay import ReplayParser
from .utils import run_module, set_module_args

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apparmor")

PROFILE = """abi <abi/3.0>,
include <tunables/global>

profile gohost-api /opt/api/bin/api {
  include <abstractions/base>
  /etc/api/{config,secrets}.yaml r,   # braces of an alternation
  network inet stream,
  profile child {
    /bin/true ix,
  }
  include if exists <local/gohost.api>
}
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A policy dir and a /sys tree in tmp_path; ``env.use(kind)`` picks enabled, disabled or nokernel."""
    policy = tmp_path / "apparmor.d"
    shutil.copytree(os.path.join(FIXTURES, "policy"), str(policy))
    for kind in ("enabled", "disabled", "nokernel"):
        shutil.copytree(os.path.join(FIXTURES, kind), str(tmp_path / kind))

    class Env(object):
        dir = str(policy)
        parser = None

        def use(self, kind):
            sys_root = tmp_path / kind / "sys"
            securityfs = str(sys_root / "kernel" / "security" / "apparmor")
            monkeypatch.setattr(_apparmor, "SECURITYFS", securityfs)
            monkeypatch.setattr(_apparmor, "SYSMODULE", str(sys_root / "module" / "apparmor"))
            self.parser = ReplayParser(securityfs)
            monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda mod, args, **kw: self.parser(args))
            monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                                lambda mod, name, required=False, opt_dirs=None: "/sbin/apparmor_parser")
            return self

        def loaded(self):
            return _apparmor.loaded_profiles()

        def path(self, name="gohost.api"):
            return os.path.join(self.dir, name)

        def read(self, name="gohost.api"):
            with open(self.path(name)) as fh:
                return fh.read()

        def run(self, expect_fail=False, **args):
            args.setdefault("name", "gohost.api")
            args.setdefault("dir", self.dir)
            args.setdefault("_ansible_tmpdir", str(tmp_path))
            with set_module_args(args):
                return run_module(apparmor_profile.main, expect_fail=expect_fail)

    return Env()


def test_installs_and_loads_in_enforce_mode(env):
    env.use("enabled")
    result = env.run(content=PROFILE)
    assert result["changed"] and result["file_changed"] and result["kernel_changed"]
    assert result["loaded"] is True and result["reason"] == ""
    assert result["profiles"] == ["gohost-api", "gohost-api//child"]
    assert env.read() == PROFILE  # no flag to add in enforce mode
    assert env.loaded()["gohost-api"] == "enforce"
    assert env.loaded()["nvidia_modprobe"] == "enforce"  # others untouched
    assert result["modes"] == {"gohost-api": "enforce", "gohost-api//child": "enforce"}
    # validated (--names, --debug, a full compile) from a temporary file before the real one was written
    checks = env.parser.calls[:-1]
    assert [c[0] for c in checks] == ["--names", "--skip-kernel-load", "--skip-kernel-load"]
    assert "--debug" in checks[1] and "--quiet" in checks[2]
    assert all(c[-1] != env.path() for c in checks)
    assert env.parser.calls[-1] == ["--replace", "--write-cache", env.path()]


def test_second_run_changes_nothing(env):
    env.use("enabled")
    env.run(content=PROFILE, mode="complain")
    calls = len(env.parser.calls)
    result = env.run(content=PROFILE, mode="complain")
    assert not result["changed"]
    assert result["kernel_modes"] == {"gohost-api": "complain", "gohost-api//child": "complain"}
    assert not any("--replace" in c for c in env.parser.calls[calls:])


def test_complain_mode_is_written_into_the_file_and_enforce_removes_it(env):
    env.use("enabled")
    env.run(content=PROFILE, mode="complain")
    assert "profile gohost-api /opt/api/bin/api flags=(complain) {" in env.read()
    # children and hats too (the kernel does not inherit the mode), as aa-complain and apparmor_parser --Complain do
    assert "  profile child flags=(complain) {" in env.read()
    assert env.loaded()["gohost-api"] == "complain" and env.loaded()["gohost-api//child"] == "complain"
    result = env.run(content=PROFILE, mode="enforce")
    assert result["changed"] and result["kernel_modes"] == {"gohost-api": "complain", "gohost-api//child": "complain"}
    assert env.read() == PROFILE
    assert env.loaded()["gohost-api"] == "enforce" and env.loaded()["gohost-api//child"] == "enforce"


def test_profile_unloaded_behind_our_back_is_loaded_again(env):
    env.use("enabled")
    env.run(content=PROFILE)
    loaded = env.loaded()
    del loaded["gohost-api"]
    env.parser.save(loaded)
    result = env.run(content=PROFILE)
    assert result["changed"] and not result["file_changed"] and result["kernel_changed"]
    assert env.loaded()["gohost-api"] == "enforce"


def test_mode_changed_behind_our_back_is_restored(env):
    env.use("enabled")
    env.run(content=PROFILE)
    loaded = env.loaded()
    loaded["gohost-api"] = "complain"
    env.parser.save(loaded)
    result = env.run(content=PROFILE)
    assert result["changed"] and result["kernel_changed"] and not result["file_changed"]
    assert env.loaded()["gohost-api"] == "enforce"


def test_unparsable_profile_fails_with_the_parser_message_and_writes_nothing(env):
    env.use("enabled")
    result = env.run(expect_fail=True, content=PROFILE.replace("network inet stream,", "SYNTAX-ERROR"))
    assert "does not parse, nothing was written" in result["msg"]
    assert ("AppArmor parser error for %s in profile %s at line 7: Lexer found unexpected character: '-'"
            % (env.path(), env.path())) in result["msg"]
    assert "Cache read/write disabled" not in result["msg"]
    assert env.path() in result["msg"]  # the message names the real file, not the temporary one
    assert not os.path.exists(env.path())
    assert "gohost-api" not in env.loaded()


def test_unparsable_update_keeps_the_old_file(env):
    env.use("enabled")
    env.run(content=PROFILE)
    env.run(expect_fail=True, content=PROFILE + "SYNTAX-ERROR\n")
    assert env.read() == PROFILE


def test_content_without_a_profile_fails(env):
    env.use("enabled")
    result = env.run(expect_fail=True, content="include <tunables/global>\n")
    assert "defines no profile" in result["msg"]
    assert not os.path.exists(env.path())


def test_check_mode_reports_and_changes_nothing(env):
    env.use("enabled")
    result = env.run(content=PROFILE, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] and result["loaded"]
    assert result["diff"]["after"] == PROFILE and result["diff"]["before"] == ""
    assert not os.path.exists(env.path())
    assert "gohost-api" not in env.loaded()


def test_diff_shows_the_mode_change(env):
    env.use("enabled")
    env.run(content=PROFILE)
    result = env.run(content=PROFILE, mode="complain", _ansible_diff=True)
    assert "flags=(complain)" in result["diff"]["after"] and "flags=" not in result["diff"]["before"]


@pytest.mark.parametrize("kind,reason", [
    ("nokernel", "has no AppArmor"),
    ("disabled", "not enabled"),
])
def test_without_apparmor_the_file_is_installed_and_loaded_is_false(env, kind, reason):
    env.use(kind)
    result = env.run(content=PROFILE)
    assert result["changed"] and result["file_changed"] and not result["kernel_changed"]
    assert result["loaded"] is False and reason in result["reason"]
    assert env.read() == PROFILE
    assert not any("--replace" in c for c in env.parser.calls)
    assert not env.run(content=PROFILE)["changed"]


def test_securityfs_not_visible_is_a_reason(env, tmp_path):
    env.use("enabled")
    os.unlink(os.path.join(_apparmor.SECURITYFS, "profiles"))
    result = env.run(content=PROFILE)
    assert result["loaded"] is False and "securityfs" in result["reason"]


def test_require_loaded_fails_before_writing(env):
    env.use("nokernel")
    result = env.run(expect_fail=True, content=PROFILE, require_loaded=True)
    assert "cannot be loaded here and require_loaded is true" in result["msg"]
    assert "has no AppArmor" in result["msg"]
    assert not os.path.exists(env.path())


def test_disabled_links_into_disable_and_unloads(env):
    env.use("enabled")
    env.run(content=PROFILE)
    result = env.run(content=PROFILE, mode="disabled")
    assert result["changed"] and result["kernel_changed"] and result["loaded"] is False
    link = os.path.join(env.dir, "disable", "gohost.api")
    assert os.path.islink(link) and os.readlink(link) == env.path()
    assert "gohost-api" not in env.loaded()
    assert not env.run(content=PROFILE, mode="disabled")["changed"]
    # and back: the link goes, the profile is loaded again
    result = env.run(content=PROFILE, mode="enforce")
    assert result["changed"] and not os.path.lexists(link)
    assert env.loaded()["gohost-api"] == "enforce"


def test_stale_force_complain_link_is_removed(env):
    env.use("enabled")
    env.run(content=PROFILE)
    link = os.path.join(env.dir, "force-complain", "gohost.api")
    os.symlink(env.path(), link)
    result = env.run(content=PROFILE)
    assert result["changed"] and not os.path.lexists(link)


def test_absent_unloads_and_removes(env):
    env.use("enabled")
    env.run(content=PROFILE, mode="complain")
    result = env.run(state="absent", _ansible_check_mode=True)
    assert result["changed"] and os.path.exists(env.path())
    result = env.run(state="absent")
    assert result["changed"] and result["kernel_changed"]
    assert not os.path.exists(env.path())
    assert "gohost-api" not in env.loaded() and "gohost-api//child" not in env.loaded()
    assert "nvidia_modprobe" in env.loaded()
    assert not env.run(state="absent")["changed"]


def test_present_needs_content(env):
    env.use("enabled")
    result = env.run(expect_fail=True)
    assert "content" in result["msg"]


@pytest.mark.parametrize("name", ["../etc/passwd", "sub/dir", ".hidden"])
def test_name_must_be_a_plain_file_name(env, name):
    env.use("enabled")
    result = env.run(expect_fail=True, name=name, content=PROFILE)
    assert "plain file name" in result["msg"]


def test_parser_missing_fails_clearly(env, monkeypatch):
    env.use("enabled")
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda mod, name, required=False, opt_dirs=None: None)
    result = env.run(expect_fail=True, content=PROFILE)
    assert "apparmor_parser is not installed" in result["msg"]


def test_load_failure_restores_the_previous_file(env, monkeypatch):
    env.use("enabled")
    env.run(content=PROFILE)
    fake = env.parser

    def failing(mod, args, **kw):
        if "--replace" in args:
            return 1, "", "apparmor_parser: Unable to replace \"gohost-api\".  Permission denied\n"
        return fake(args)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", failing)
    result = env.run(expect_fail=True, content=PROFILE, mode="complain")
    assert "cannot load" in result["msg"] and "Permission denied" in result["msg"]
    assert env.read() == PROFILE


def test_local_include_is_created_once_and_never_changed(env):
    env.use("enabled")
    local = os.path.join(env.dir, "local", "gohost.api")
    result = env.run(content=PROFILE, local_include=True, _ansible_check_mode=True)
    assert result["changed"] and not os.path.exists(local)
    env.run(content=PROFILE, local_include=True)
    with open(local) as fh:
        assert fh.read().startswith("# Site-specific rules")
    with open(local, "w") as fh:
        fh.write("/srv/data/** r,\n")
    result = env.run(content=PROFILE, local_include=True)
    assert not result["changed"]
    with open(local) as fh:
        assert fh.read() == "/srv/data/** r,\n"


# Issue 15: layouts the parser accepts, and modes it would refuse or that the old text scanner set wrongly. Each
# content below was checked with apparmor_parser -Q -K and -N (3.0.8); the recordings are its real outputs.

ONE_LINE = "profile x /usr/bin/true { /etc/hosts r, }\n"
BRACE_NEXT_LINE = "abi <abi/3.0>,\ninclude <tunables/global>\nprofile x /usr/bin/true\n{\n  /etc/hosts r,\n}\n"
RULE_AFTER_BRACE = "profile x /usr/bin/true { /etc/hosts r,\n  /etc/passwd r,\n}\n"
MULTI_THEN_ONE_LINE = "profile a /usr/bin/a {\n  /etc/hosts r,\n}\nprofile b /usr/bin/b { /etc/hosts r, }\n"


@pytest.mark.parametrize("content,complain", [
    (ONE_LINE, "profile x /usr/bin/true flags=(complain) { /etc/hosts r, }\n"),
    (BRACE_NEXT_LINE, BRACE_NEXT_LINE.replace("/usr/bin/true\n", "/usr/bin/true flags=(complain)\n")),
    (RULE_AFTER_BRACE, RULE_AFTER_BRACE.replace("true {", "true flags=(complain) {")),
], ids=["one-line", "brace-on-next-line", "rule-after-brace"])
def test_layouts_the_parser_accepts_are_accepted(env, content, complain):
    env.use("enabled")
    result = env.run(name="x", content=content)
    assert result["changed"] and result["profiles"] == ["x"] and result["modes"] == {"x": "enforce"}
    assert env.read("x") == content
    result = env.run(name="x", content=content, mode="complain")
    assert result["changed"] and result["modes"] == {"x": "complain"}
    assert env.read("x") == complain
    assert env.loaded()["x"] == "complain"
    assert not env.run(name="x", content=content, mode="complain")["changed"]


def test_a_file_that_only_includes_a_profile_is_accepted(env):
    env.use("enabled")
    result = env.run(name="gohost.lsb", content="include <lsb_release>\n")
    assert result["changed"] and result["profiles"] == ["lsb_release"] and result["modes"] == {"lsb_release": "enforce"}
    assert env.loaded()["lsb_release"] == "enforce"


def test_complain_on_a_profile_of_an_included_file_is_refused(env):
    env.use("enabled")
    result = env.run(expect_fail=True, name="gohost.lsb", content="include <lsb_release>\n", mode="complain")
    assert "cannot set mode complain on profile(s) lsb_release (enforce)" in result["msg"]
    assert "header is not in the content" in result["msg"] and "nothing was written" in result["msg"]
    assert not os.path.exists(env.path("gohost.lsb")) and "lsb_release" not in env.loaded()


@pytest.mark.parametrize("flag", ["unconfined", "kill"])
def test_complain_conflicting_with_a_mode_flag_is_refused_up_front(env, flag):
    env.use("enabled")
    content = "profile x /usr/bin/true flags=(%s) {\n}\n" % flag
    result = env.run(expect_fail=True, name="x", content=content, mode="complain")
    assert "mode complain conflicts with the mode flag of profile(s) x (flags=(%s))" % flag in result["msg"]
    assert "nothing was written" in result["msg"] and "parser error" not in result["msg"]
    assert not os.path.exists(env.path("x"))
    # refused before any candidate with "complain" added was given to the parser
    assert len(env.parser.calls) == 2
    # enforce keeps the flag
    result = env.run(name="x", content=content)
    assert result["modes"] == {"x": flag} and env.read("x") == content and env.loaded()["x"] == flag


def test_complain_and_enforce_set_every_profile_of_the_file(env):
    env.use("enabled")
    result = env.run(name="ab", content=MULTI_THEN_ONE_LINE, mode="complain")
    assert result["profiles"] == ["a", "b"] and result["modes"] == {"a": "complain", "b": "complain"}
    assert env.read("ab") == ("profile a /usr/bin/a flags=(complain) {\n  /etc/hosts r,\n}\n"
                              "profile b /usr/bin/b flags=(complain) { /etc/hosts r, }\n")
    assert env.loaded()["a"] == env.loaded()["b"] == "complain"
    result = env.run(name="ab", content=env.read("ab"), mode="enforce")
    assert result["modes"] == {"a": "enforce", "b": "enforce"}
    assert env.read("ab") == MULTI_THEN_ONE_LINE
    assert env.loaded()["a"] == env.loaded()["b"] == "enforce"


def test_a_header_the_parser_rejects_is_not_repaired(env):
    env.use("enabled")
    result = env.run(expect_fail=True, name="x", content="/usr/bin/true{\n}\n", mode="complain")
    assert ("does not parse, nothing was written: AppArmor parser error for %s in profile %s at line 2: syntax "
            "error, unexpected TOK_CLOSE, expecting TOK_OPEN" % (env.path("x"), env.path("x"))) in result["msg"]
    assert not os.path.exists(env.path("x"))


def test_parser_noise_is_not_in_the_message(env):
    env.use("enabled")
    result = env.run(expect_fail=True, name="x", content="/usr/bin/true{\n}\n")
    message = result["msg"].split("nothing was written: ", 1)[1]
    assert message.splitlines()[0].startswith("AppArmor parser error for ")
    assert "Cache read/write disabled" not in result["msg"]


def test_a_child_loaded_in_another_mode_is_loaded_again(env):
    env.use("enabled")
    env.run(content=PROFILE, mode="complain")
    loaded = env.loaded()
    loaded["gohost-api//child"] = "enforce"
    env.parser.save(loaded)
    result = env.run(content=PROFILE, mode="complain")
    assert result["changed"] and result["kernel_changed"] and not result["file_changed"]
    assert env.loaded()["gohost-api//child"] == "complain"
