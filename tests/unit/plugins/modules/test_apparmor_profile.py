# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apparmor_profile against fixture trees of /sys (tests/unit/fixtures/apparmor) and a fake apparmor_parser.

The fake parser behaves like the real one on the parts the module relies on: it rejects text containing
``SYNTAX-ERROR`` with a parser-style message, lists profile names (``--names``), and ``--replace``/``--remove``
update the fixture's securityfs ``profiles`` file, with the mode taken from the ``complain`` flag of the file.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil

import pytest

from ansible.module_utils import basic
from ansible_collections.noble.gohost.plugins.module_utils import _apparmor
from ansible_collections.noble.gohost.plugins.modules import apparmor_profile

from .utils import run_module, set_module_args

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apparmor")

PROFILE = """abi <abi/4.0>,
include <tunables/global>

profile gohost-api /opt/api/bin/api {
  include <abstractions/base>
  @{exec_path} = /opt/api/bin/api
  /etc/api/{config,secrets}.yaml r,   # braces of an alternation
  network inet stream,
  profile child {
    /bin/true ix,
  }
  include if exists <local/gohost.api>
}
"""

HEADER_RE = re.compile(r"^(?:profile\s+(\S+)|(/\S+))[^{]*\{\s*$")


class FakeParser(object):
    """A stand-in for apparmor_parser working on the fixture's securityfs."""

    def __init__(self, securityfs):
        self.securityfs = securityfs
        self.calls = []

    def _profiles(self, path):
        with open(path) as fh:
            text = fh.read()
        found = []
        for line in text.splitlines():
            match = HEADER_RE.match(line.strip())
            if match:
                name = match.group(1) or match.group(2)
                mode = "complain" if re.search(r"flags=\([^)]*complain", line) else "enforce"
                # a child profile is indented
                found.append((name, mode, line.startswith(" ")))
        names, parent = [], None
        for name, mode, child in found:
            if child and parent:
                names.append((parent[0] + "//" + name, parent[1]))
            else:
                parent = (name, mode)
                names.append(parent)
        return text, names

    def _loaded(self):
        return _apparmor.loaded_profiles(self.securityfs)

    def _save(self, loaded):
        with open(os.path.join(self.securityfs, "profiles"), "w") as fh:
            for name, mode in sorted(loaded.items()):
                fh.write("%s (%s)\n" % (name, mode))

    def __call__(self, args, **kwargs):
        self.calls.append(list(args))
        path = args[-1]
        text, names = self._profiles(path)
        if "SYNTAX-ERROR" in text:
            return 1, "", "AppArmor parser error for %s in profile %s at line 4: syntax error, unexpected TOK_ID\n" % (
                path, path)
        if "--names" in args:
            return 0, "".join(n + "\n" for n, _mode in names), ""
        if "--skip-kernel-load" in args:
            return 0, "", ""
        loaded = self._loaded()
        if "--replace" in args:
            loaded.update(dict(names))
        elif "--remove" in args:
            for name, _mode in names:
                loaded.pop(name, None)
        self._save(loaded)
        return 0, "", ""


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
            self.parser = FakeParser(securityfs)
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
    # validated from a temporary file before the real one was written
    assert "--skip-kernel-load" in env.parser.calls[0] and env.parser.calls[0][-1] != env.path()
    assert ["--replace", "--write-cache"] == env.parser.calls[-1][3:5] and env.parser.calls[-1][-1] == env.path()


def test_second_run_changes_nothing(env):
    env.use("enabled")
    env.run(content=PROFILE, mode="complain")
    calls = len(env.parser.calls)
    result = env.run(content=PROFILE, mode="complain")
    assert not result["changed"]
    assert result["kernel_modes"] == {"gohost-api": "complain"}
    assert not any("--replace" in c for c in env.parser.calls[calls:])


def test_complain_mode_is_written_into_the_file_and_enforce_removes_it(env):
    env.use("enabled")
    env.run(content=PROFILE, mode="complain")
    assert "profile gohost-api /opt/api/bin/api flags=(complain) {" in env.read()
    assert "  profile child {" in env.read()  # children follow their parent
    assert env.loaded()["gohost-api"] == "complain"
    result = env.run(content=PROFILE, mode="enforce")
    assert result["changed"] and result["kernel_modes"] == {"gohost-api": "complain"}
    assert "flags=" not in env.read()
    assert env.loaded()["gohost-api"] == "enforce"


def test_profile_unloaded_behind_our_back_is_loaded_again(env):
    env.use("enabled")
    env.run(content=PROFILE)
    loaded = env.loaded()
    del loaded["gohost-api"]
    env.parser._save(loaded)
    result = env.run(content=PROFILE)
    assert result["changed"] and not result["file_changed"] and result["kernel_changed"]
    assert env.loaded()["gohost-api"] == "enforce"


def test_mode_changed_behind_our_back_is_restored(env):
    env.use("enabled")
    env.run(content=PROFILE)
    loaded = env.loaded()
    loaded["gohost-api"] = "complain"
    env.parser._save(loaded)
    result = env.run(content=PROFILE)
    assert result["changed"] and result["kernel_changed"] and not result["file_changed"]
    assert env.loaded()["gohost-api"] == "enforce"


def test_unparsable_profile_fails_with_the_parser_message_and_writes_nothing(env):
    env.use("enabled")
    result = env.run(expect_fail=True, content=PROFILE.replace("network inet stream,", "SYNTAX-ERROR"))
    assert "does not parse, nothing was written" in result["msg"]
    assert "syntax error, unexpected TOK_ID" in result["msg"]
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
