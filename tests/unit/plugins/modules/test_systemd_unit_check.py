# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd_unit_check's main(): input checks, check mode on a fresh host, results and failures, with
systemd-analyze mocked (the real tool: tests/integration/test_systemd_unit_check_host.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from unittest import mock

from ansible.module_utils import basic

from ansible_collections.noble.gohost.plugins.modules import systemd_unit_check

from .utils import run_module, set_module_args

SECURITY = u"\u2717 PrivateNetwork=  Service has access to the host's network  0.5\n" \
           u"\u2192 Overall exposure level for api.service: 1.6 OK\n"


def units(exe="/bin/true"):
    return [{"name": "api.service", "content": "[Service]\nExecStart=%s\n" % exe}]


def fake_run(calls, verify_rc=0, security_rc=0):
    def run(self, argv, environ_update=None, **kwargs):  # pylint: disable=unused-argument
        calls.append(argv)
        if argv[1] == "verify":
            return verify_rc, "", "api.service: rejected" if verify_rc else ""
        return security_rc, SECURITY, ""
    return run


@pytest.mark.parametrize("bad, words", [
    ({"units": []}, "L: units is empty"),
    ({"units": [{"name": "api", "content": ""}]}, "L: units: 'api' is not a unit file name"),
    ({"units": [{"name": "../x.service", "content": ""}]}, "is not a unit file name"),
    ({"security_threshold": 11.0}, "L: security_threshold must be in 0.0 .. 10.0, got 11.0"),
])
def test_bad_input_is_refused_naming_the_option(bad, words):
    with set_module_args(dict({"units": units(), "label": "L"}, **bad)):
        res = run_module(systemd_unit_check.main, expect_fail=True)
    assert words in res["msg"]


def test_check_mode_on_a_fresh_host_skips_with_the_reason():
    calls = []
    with set_module_args({"units": units("/nonexistent/api"), "_ansible_check_mode": True}):
        with mock.patch.object(basic.AnsibleModule, "run_command", fake_run(calls)):
            res = run_module(systemd_unit_check.main)
    assert not res["changed"] and calls == []
    assert res["skipped_reason"] == ("check mode: /nonexistent/api is not installed yet, so systemd-analyze verify "
                                     "cannot check the unit")


def test_outside_check_mode_a_missing_program_is_left_to_systemd():
    calls = []
    with set_module_args({"units": units("/nonexistent/api")}):
        with mock.patch.object(basic.AnsibleModule, "get_bin_path", return_value="/usr/bin/systemd-analyze"):
            with mock.patch.object(basic.AnsibleModule, "run_command", fake_run(calls, verify_rc=1)):
                res = run_module(systemd_unit_check.main, expect_fail=True)
    assert res["step"] == "verify" and "systemd-analyze verify rejected the unit (rc=1)" in res["msg"]


def test_a_passing_unit_reports_its_score_unchanged():
    calls = []
    with set_module_args({"units": units(), "security_threshold": 2.0, "_ansible_check_mode": True}):
        with mock.patch.object(basic.AnsibleModule, "get_bin_path", return_value="/usr/bin/systemd-analyze"):
            with mock.patch.object(basic.AnsibleModule, "run_command", fake_run(calls)):
                res = run_module(systemd_unit_check.main)
    assert not res["changed"] and res["exposure"] == {"api.service": 1.6} and len(calls) == 2


def test_a_sandbox_rated_too_high_fails_with_the_findings():
    with set_module_args({"units": units(), "security_threshold": 1.0, "label": "svc", "hint": "preset strict"}):
        with mock.patch.object(basic.AnsibleModule, "get_bin_path", return_value="/usr/bin/systemd-analyze"):
            with mock.patch.object(basic.AnsibleModule, "run_command", fake_run([], security_rc=1)):
                res = run_module(systemd_unit_check.main, expect_fail=True)
    assert res["msg"].startswith("svc: systemd-analyze security rates the unit api.service 1.6, above the threshold "
                                 "1.0 (preset strict). Worst findings (exposure, setting): 0.5 PrivateNetwork=")


def test_without_systemd_analyze_the_message_says_so():
    with set_module_args({"units": units()}):
        with mock.patch.object(basic.AnsibleModule, "get_bin_path", return_value=None):
            res = run_module(systemd_unit_check.main, expect_fail=True)
    assert "systemd-analyze is not installed on the target" in res["msg"]
