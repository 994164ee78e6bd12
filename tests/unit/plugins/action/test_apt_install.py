# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.apt_install: dpkg first, apt without an update next, the update only when that fails, and check
mode that reports the install on empty lists instead of failing. dpkg-query and ansible.builtin.apt are mocked
(their real behaviour: tests/integration/test_apt_install_host.py and the go_observability scenario)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.noble.gohost.plugins.action import apt_install
from ansible_collections.noble.gohost.plugins.action.apt_install import ActionModule

NO_CANDIDATE = {"failed": True, "msg": "No package matching 'apparmor' is available"}


def make(args, dpkg_stdout, apt_results, check_mode=False):
    task = Task()
    task.args = args
    task.check_mode = check_mode
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None,
                          shared_loader_obj=None)
    action._low_level_execute_command = mock.MagicMock(return_value={"rc": 0, "stdout": dpkg_stdout, "stderr": ""})
    action._execute_module = mock.MagicMock(side_effect=list(apt_results))
    return action


def run(action):
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        return action.run(task_vars={})


def apt_calls(action):
    return [c[1]["module_args"] for c in action._execute_module.call_args_list]


def test_all_installed_runs_no_apt_at_all():
    action = make({"name": ["apparmor", "apparmor-utils"]},
                  "apparmor\tapparmor\tinstalled\napparmor-utils\tapparmor-utils\tinstalled\n", [])
    result = run(action)
    assert not result["changed"] and not result["cache_updated"] and result["missing"] == []
    action._execute_module.assert_not_called()
    cmd = action._low_level_execute_command.call_args[0][0]
    assert cmd.startswith("dpkg-query -W -f ") and cmd.endswith(" -- apparmor apparmor-utils")


def test_installs_only_the_missing_ones_without_an_update_when_the_lists_have_them():
    action = make({"name": ["apparmor", "apparmor-utils"], "install_recommends": False},
                  "apparmor\tapparmor\tinstalled\n", [{"changed": True, "stdout": "Setting up apparmor-utils"}])
    result = run(action)
    assert result["changed"] and not result["cache_updated"] and result["missing"] == ["apparmor-utils"]
    assert apt_calls(action) == [{"name": ["apparmor-utils"], "state": "present", "install_recommends": False}]


def test_empty_lists_update_once_and_install():
    action = make({"name": ["apparmor"]}, "", [NO_CANDIDATE, {"changed": True, "cache_updated": True}])
    result = run(action)
    assert not result.get("failed") and result["changed"] and result["cache_updated"]
    first, second = apt_calls(action)
    assert "update_cache" not in first and "cache_valid_time" not in first
    assert second == {"name": ["apparmor"], "state": "present", "update_cache": True}


def test_check_mode_on_empty_lists_reports_the_install_and_updates_nothing():
    action = make({"name": ["bpftrace"]}, "", [dict(NO_CANDIDATE, msg="No package matching 'bpftrace' is available")],
                  check_mode=True)
    result = run(action)
    assert not result.get("failed") and result["changed"] and not result["cache_updated"]
    assert "would update the package lists and install bpftrace" in result["msg"]
    assert "No package matching 'bpftrace'" in result["msg"]
    assert len(apt_calls(action)) == 1 and "update_cache" not in apt_calls(action)[0]


def test_check_mode_with_lists_is_apt_s_own_answer():
    action = make({"name": ["jq"]}, "", [{"changed": True, "stdout": "Inst jq"}], check_mode=True)
    result = run(action)
    assert result["changed"] and result["stdout"] == "Inst jq" and len(apt_calls(action)) == 1


def test_failure_after_the_update_says_both():
    action = make({"name": ["nonesuch"]}, "", [dict(NO_CANDIDATE, msg="No package matching 'nonesuch' is available"),
                                               {"failed": True, "msg": "No package matching 'nonesuch' is available"}])
    result = run(action)
    assert result["failed"]
    assert result["msg"].startswith("No package matching 'nonesuch' is available (after updating the package lists;")


@pytest.mark.parametrize("stdout, missing", [
    ("", ["bpftrace"]),  # unknown to dpkg
    ("bpftrace\tbpftrace\tconfig-files\n", ["bpftrace"]),  # removed, configuration left
    ("bpftrace\tbpftrace\tnot-installed\n", ["bpftrace"]),
    ("bpftrace\tbpftrace\tinstalled\n", []),
])
def test_dpkg_states(stdout, missing):
    assert apt_install.missing_packages(["bpftrace"], stdout) == missing


def test_arch_qualified_and_pinned_names():
    stdout = "libc6\tlibc6:arm64\tinstalled\nlibc6\tlibc6:amd64\tinstalled\n"
    assert apt_install.missing_packages(["libc6:arm64", "libc6", "jq=1.6*"], stdout) == ["jq=1.6*"]


def test_names_are_quoted_for_the_shell():
    assert apt_install.dpkg_query_command(["a;b"]).endswith(" -- 'a;b'")


def test_nothing_asked_for_is_no_change():
    action = make({"name": []}, "", [])
    assert not run(action)["changed"]
    action._low_level_execute_command.assert_not_called()


@pytest.mark.parametrize("args, match", [
    ({"name": "bpftrace"}, None),
    ({"name": [""]}, "name: want a list of package names"),
    ({"name": ["-y"]}, "name: want a list of package names"),
    ({"name": {"a": 1}}, "name: want a list of package names"),
    ({"name": ["a"], "install_recommends": "maybe"}, "install_recommends: want a boolean"),
])
def test_arguments(args, match):
    action = make(args, "bpftrace\tbpftrace\tinstalled\na\ta\tinstalled\n", [])
    if match is None:
        assert run(action)["missing"] == []
    else:
        with pytest.raises(AnsibleActionFail, match=match):
            run(action)
        action._low_level_execute_command.assert_not_called()
