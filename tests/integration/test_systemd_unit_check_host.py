# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.systemd_unit_check with this machine's real systemd-analyze: a sandboxed unit passes with its
score, a unit systemd rejects or whose setting it ignores is refused, a weak sandbox fails the threshold, check
mode on a fresh host skips with the reason. Nothing but a temporary directory is written."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil

import pytest

from adhoc import run_module

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is not installed on this machine")

STRICT = """[Unit]
Description=test

[Service]
ExecStart=/bin/sleep 60
DynamicUser=yes
CapabilityBoundingSet=
NoNewPrivileges=yes
PrivateNetwork=yes
PrivateDevices=yes
PrivateUsers=yes
ProtectSystem=strict
ProtectHome=yes
ProtectClock=yes
ProtectHostname=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
IPAddressDeny=any
UMask=0077
DevicePolicy=closed
"""


def one(content, name="t.service", **kw):
    return dict({"units": [{"name": name, "content": content}]}, **kw)


def test_a_strict_sandbox_passes_with_its_score():
    rc, res = run_module("systemd_unit_check", one(STRICT, security_threshold=2.0))
    assert rc == 0 and not res["changed"], res
    assert 0 <= res["exposure"]["t.service"] <= 2.0 and res["ignored"] == []


def test_a_weak_sandbox_fails_the_threshold_with_the_worst_findings():
    rc, res = run_module("systemd_unit_check", one("[Service]\nExecStart=/bin/sleep 60\n", security_threshold=5.0,
                                                   label="go_service_services[0] (t)"))
    assert rc != 0 and res["step"] == "security", res
    assert res["msg"].startswith("go_service_services[0] (t): systemd-analyze security rates the unit t.service ")
    assert res["exposure"]["t.service"] > 5.0 and "Worst findings (exposure, setting): " in res["msg"]


def test_a_missing_program_is_rejected_by_verify():
    rc, res = run_module("systemd_unit_check", one("[Service]\nExecStart=/nonexistent/t\n"))
    assert rc != 0 and res["step"] == "verify" and "/nonexistent/t is not executable" in res["msg"], res


def test_an_invalid_limit_is_refused_not_dropped():
    rc, res = run_module("systemd_unit_check", one(STRICT + "MemoryMax=lots\n", label="L"))
    assert rc != 0 and res["msg"].startswith("L: systemd ignores settings of the unit"), res
    assert "Invalid memory limit 'lots'" in res["msg"] or "lots" in res["msg"]
    rc, res = run_module("systemd_unit_check", one(STRICT + "MemoryMax=lots\n", ignored_settings="warn"))
    assert rc == 0 and res["ignored"] and any("lots" in w for w in res.get("warnings", [])), res


def test_check_mode_on_a_fresh_host_skips_with_the_reason():
    rc, res = run_module("systemd_unit_check", one("[Service]\nExecStart=/nonexistent/t\n"), check=True)
    assert rc == 0 and "/nonexistent/t is not installed yet" in res["skipped_reason"], res
